package v1

import (
	"errors"
	"testing"

	_ "time/tzdata" // the tests name zones that a bare system may lack
)

func TestValidateCronSchedule(t *testing.T) {
	for _, spec := range []string{
		"* * * * *", "*/2 * * * *", "0 0 1 1 *", "0-59 0-23 1-31 1-12 0-6", "5,10,15 * * * *",
		"0 9 * * MON-FRI", "0 0 * JAN,jul sun", "? ? ? ? ?", "5/15 * * * *", "1-10/3 * * * *",
		"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly", "@every 1h30m",
		"CRON_TZ=Europe/Paris 0 9 * * *", "TZ=UTC @daily", "  *  *  *  *  *  ", "1,,2 * * * *", "*-5 * * * *",
	} {
		if err := validateCronSchedule(spec); err != nil {
			t.Errorf("validateCronSchedule(%q) = %v, want nil", spec, err)
		}
	}
}

func TestValidateCronScheduleErrors(t *testing.T) {
	tests := []struct {
		spec, want string
	}{
		{"", "empty spec string"},
		{"* * * *", "expected exactly 5 fields, found 4: [* * * *]"},
		{"0 * * * * *", "expected exactly 5 fields, found 6: [0 * * * * *]"},
		{"60 * * * *", "end of range (60) above maximum (59): 60"},
		{"* 24 * * *", "end of range (24) above maximum (23): 24"},
		{"* * 0 * *", "beginning of range (0) below minimum (1): 0"},
		{"* * * 13 *", "end of range (13) above maximum (12): 13"},
		{"* * * * 7", "end of range (7) above maximum (6): 7"},
		{"5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"},
		{"1-2-3 * * * *", "too many hyphens: 1-2-3"},
		{"*/2/3 * * * *", "too many slashes: */2/3"},
		{"*/0 * * * *", "step of range should be a positive number: */0"},
		{"a * * * *", `failed to parse int from a: strconv.Atoi: parsing "a": invalid syntax`},
		{"* * * foo *", `failed to parse int from foo: strconv.Atoi: parsing "foo": invalid syntax`},
		{"@often", "unrecognized descriptor: @often"},
		{"@every forever", `failed to parse duration @every forever: time: invalid duration "forever"`},
		{"CRON_TZ=UTC", "expected a schedule after the time zone: CRON_TZ=UTC"},
	}
	for _, tt := range tests {
		err := validateCronSchedule(tt.spec)
		if err == nil || err.Error() != tt.want {
			t.Errorf("validateCronSchedule(%q) = %v, want %q", tt.spec, err, tt.want)
		}
	}
	if err := validateCronSchedule("CRON_TZ=Mars/Olympus * * * * *"); !errors.Is(err, errBadLocation) {
		t.Errorf("validateCronSchedule(bad zone) = %v, want errBadLocation", err)
	}
}

func FuzzValidateCronSchedule(f *testing.F) {
	for _, s := range []string{"* * * * *", "*/5 1-3 1,15 JAN-MAR mon", "@every 5m", "CRON_TZ=UTC 0 0 * * *", "TZ="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		_ = validateCronSchedule(spec) // must not panic
	})
}
