package v1

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// cronField is the range and names of one field of a standard cron
// schedule.
type cronField struct {
	min, max int
	names    map[string]int
}

// The five fields of a standard schedule, in order.
var cronFields = []cronField{
	{0, 59, nil}, // minute
	{0, 23, nil}, // hour
	{1, 31, nil}, // day of month
	{1, 12, map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
		"jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}},
	{0, 6, map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}},
}

// cronDescriptors are the "@" schedules of the standard parser; "@every" is
// handled apart.
var cronDescriptors = map[string]bool{
	"@yearly": true, "@annually": true, "@monthly": true, "@weekly": true,
	"@daily": true, "@midnight": true, "@hourly": true,
}

// errBadLocation marks a schedule whose TZ= or CRON_TZ= prefix names an
// unknown time zone.
var errBadLocation = errors.New("provided bad location")

// validateCronSchedule accepts what github.com/robfig/cron/v3's
// ParseStandard accepts, the parser Knative validates PingSource schedules
// with: an optional "TZ=<zone> " or "CRON_TZ=<zone> " prefix, then either a
// descriptor (@hourly, @daily, ..., @every <duration>) or exactly five
// fields (minute, hour, day of month, month, day of week), each a
// comma-separated list of *, ?, n, n-m, with an optional /step, and month
// and weekday names. Error texts follow robfig's.
func validateCronSchedule(spec string) error {
	if spec == "" {
		return errors.New("empty spec string")
	}
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		i := strings.IndexByte(spec, ' ')
		if i < 0 {
			return fmt.Errorf("expected a schedule after the time zone: %s", spec)
		}
		zone := spec[strings.IndexByte(spec, '=')+1 : i]
		if _, err := time.LoadLocation(zone); err != nil {
			return fmt.Errorf("%w %s: %v", errBadLocation, zone, err)
		}
		spec = strings.TrimSpace(spec[i:])
	}
	if strings.HasPrefix(spec, "@") {
		if cronDescriptors[spec] {
			return nil
		}
		if d, ok := strings.CutPrefix(spec, "@every "); ok {
			if _, err := time.ParseDuration(d); err != nil {
				return fmt.Errorf("failed to parse duration %s: %s", spec, err)
			}
			return nil
		}
		return fmt.Errorf("unrecognized descriptor: %s", spec)
	}
	fields := strings.Fields(spec)
	if len(fields) != len(cronFields) {
		return fmt.Errorf("expected exactly 5 fields, found %d: %s", len(fields), fields)
	}
	for i, f := range fields {
		for _, expr := range strings.FieldsFunc(f, func(r rune) bool { return r == ',' }) {
			if err := cronFields[i].checkRange(expr); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkRange checks one comma-separated part of a field.
func (r cronField) checkRange(expr string) error {
	rangeAndStep := strings.Split(expr, "/")
	lowAndHigh := strings.Split(rangeAndStep[0], "-")
	var start, end int
	if lowAndHigh[0] == "*" || lowAndHigh[0] == "?" {
		start, end = r.min, r.max
	} else {
		var err error
		if start, err = r.parse(lowAndHigh[0]); err != nil {
			return err
		}
		switch len(lowAndHigh) {
		case 1:
			end = start
		case 2:
			if end, err = r.parse(lowAndHigh[1]); err != nil {
				return err
			}
		default:
			return fmt.Errorf("too many hyphens: %s", expr)
		}
	}
	step := 1
	switch len(rangeAndStep) {
	case 1:
	case 2:
		var err error
		if step, err = parseCronInt(rangeAndStep[1]); err != nil {
			return err
		}
		if len(lowAndHigh) == 1 {
			end = r.max // "n/step" means "n-max/step"
		}
	default:
		return fmt.Errorf("too many slashes: %s", expr)
	}
	switch {
	case start < r.min:
		return fmt.Errorf("beginning of range (%d) below minimum (%d): %s", start, r.min, expr)
	case end > r.max:
		return fmt.Errorf("end of range (%d) above maximum (%d): %s", end, r.max, expr)
	case start > end:
		return fmt.Errorf("beginning of range (%d) beyond end of range (%d): %s", start, end, expr)
	case step == 0:
		return fmt.Errorf("step of range should be a positive number: %s", expr)
	}
	return nil
}

func (r cronField) parse(s string) (int, error) {
	if v, ok := r.names[strings.ToLower(s)]; ok {
		return v, nil
	}
	return parseCronInt(s)
}

func parseCronInt(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("failed to parse int from %s: %s", s, err)
	}
	if n < 0 {
		return 0, fmt.Errorf("negative number (%d) not allowed: %s", n, s)
	}
	return n, nil
}
