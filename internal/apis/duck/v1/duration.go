package v1

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"time"
)

// Lengths of the calendar designators. A year is the mean Gregorian year
// (365.2425 days) and a month a twelfth of it, the same approximation
// time-period libraries use to turn "P1M" into a fixed duration.
const (
	isoYear  = 31556952 * time.Second
	isoMonth = isoYear / 12
	isoWeek  = 7 * 24 * time.Hour
	isoDay   = 24 * time.Hour
)

// maxNumberDigits bounds the digits of one component, so that hostile input
// cannot make the parser do big-number work on megabytes of digits.
const maxNumberDigits = 40

// errDuration is wrapped by every error ParseISO8601Duration returns.
var errDuration = errors.New("invalid ISO-8601 duration")

// designators lists the components in the order ISO 8601 requires them,
// before and after the "T".
var (
	dateDesignators = []designator{{'Y', isoYear}, {'M', isoMonth}, {'W', isoWeek}, {'D', isoDay}}
	timeDesignators = []designator{{'H', time.Hour}, {'M', time.Minute}, {'S', time.Second}}
)

type designator struct {
	letter byte
	unit   time.Duration
}

// ParseISO8601Duration parses an ISO-8601 duration ("PT0.2S", "P1DT12H",
// "-PT1M", "P2W") into a time.Duration, the form Knative's delivery fields
// (backoffDelay, timeout, retryAfterMax) take. Every component may carry a
// decimal fraction ("." or ","); years and months use the mean Gregorian
// calendar. "P0" is accepted as zero, as Knative's parser does. Durations
// beyond the range of time.Duration are an error.
func ParseISO8601Duration(s string) (time.Duration, error) {
	fail := func(format string, args ...any) (time.Duration, error) {
		return 0, fmt.Errorf("%w %q: %s", errDuration, s, fmt.Sprintf(format, args...))
	}
	rest := s
	neg := false
	if rest != "" && (rest[0] == '-' || rest[0] == '+') {
		neg = rest[0] == '-'
		rest = rest[1:]
	}
	if rest == "" || rest[0] != 'P' {
		return fail("expected 'P' at the start")
	}
	rest = rest[1:]
	if rest == "0" {
		return 0, nil
	}
	datePart, timePart, hasT := rest, "", false
	for i := 0; i < len(rest); i++ {
		if rest[i] == 'T' {
			datePart, timePart, hasT = rest[:i], rest[i+1:], true
			break
		}
	}
	total := new(big.Int)
	n, err := addComponents(total, datePart, dateDesignators)
	if err != nil {
		return fail("%v", err)
	}
	if hasT {
		m, err := addComponents(total, timePart, timeDesignators)
		if err != nil {
			return fail("%v", err)
		}
		if m == 0 {
			return fail("expected a time component after 'T'")
		}
		n += m
	}
	if n == 0 {
		return fail("expected at least one component")
	}
	if neg {
		total.Neg(total)
	}
	if !total.IsInt64() {
		return fail("out of range")
	}
	return time.Duration(total.Int64()), nil
}

// addComponents adds the nanoseconds of the components in part to total
// and returns how many it found. Components must come in the order of
// designators, each at most once.
func addComponents(total *big.Int, part string, designators []designator) (int, error) {
	found, next := 0, 0
	for part != "" {
		i := 0
		for i < len(part) && (isDigit(part[i]) || part[i] == '.' || part[i] == ',') {
			i++
		}
		if i == len(part) {
			return 0, fmt.Errorf("number %q has no designator", part)
		}
		num, letter := part[:i], part[i]
		part = part[i+1:]
		d := -1
		for j := next; j < len(designators); j++ {
			if designators[j].letter == letter {
				d = j
				break
			}
		}
		if d < 0 {
			return 0, fmt.Errorf("unexpected designator %q", letter)
		}
		next = d + 1
		nanos, err := componentNanos(num, designators[d].unit)
		if err != nil {
			return 0, err
		}
		total.Add(total, nanos)
		found++
	}
	return found, nil
}

// componentNanos turns a decimal number of units into nanoseconds,
// truncating below a nanosecond.
func componentNanos(num string, unit time.Duration) (*big.Int, error) {
	intPart, frac := num, ""
	for i := 0; i < len(num); i++ {
		if num[i] == '.' || num[i] == ',' {
			intPart, frac = num[:i], num[i+1:]
			break
		}
	}
	if intPart == "" || !allDigits(intPart) || (len(intPart) < len(num) && (frac == "" || !allDigits(frac))) {
		return nil, fmt.Errorf("malformed number %q", num)
	}
	if len(intPart)+len(frac) > maxNumberDigits {
		return nil, fmt.Errorf("number %q is too long", num)
	}
	v, _ := new(big.Int).SetString(intPart+frac, 10)
	v.Mul(v, big.NewInt(int64(unit)))
	if frac != "" {
		v.Quo(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil))
	}
	if v.Cmp(big.NewInt(math.MaxInt64)) > 0 {
		return nil, errors.New("out of range")
	}
	return v, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}
