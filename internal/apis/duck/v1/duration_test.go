package v1

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseISO8601Duration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"PT0.2S", 200 * time.Millisecond},
		{"PT1S", time.Second},
		{"PT1M", time.Minute},
		{"PT1H", time.Hour},
		{"P1D", 24 * time.Hour},
		{"P1W", 7 * 24 * time.Hour},
		{"P1M", isoMonth},
		{"P1Y", isoYear},
		{"P1DT1H", 25 * time.Hour},
		{"P1Y2M3DT4H5M6S", isoYear + 2*isoMonth + 3*isoDay + 4*time.Hour + 5*time.Minute + 6*time.Second},
		{"-PT1S", -time.Second},
		{"+PT1S", time.Second},
		{"P0", 0},
		{"-P0", 0},
		{"PT0S", 0},
		{"PT1,5S", 1500 * time.Millisecond},
		{"P1.5D", 36 * time.Hour},
		{"PT0.5M", 30 * time.Second},
		{"PT0.000000001S", time.Nanosecond},
		{"PT0.0000000019S", time.Nanosecond},
		{"PT10S", 10 * time.Second},
		{"PT9223372036S", 9223372036 * time.Second},
	}
	for _, tt := range tests {
		got, err := ParseISO8601Duration(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseISO8601Duration(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseISO8601DurationErrors(t *testing.T) {
	for _, in := range []string{
		"", "P", "PT", "T1S", "1S", "PT1", "PTS", "P1S", "PT1D", "P1D1Y", "P1Y1Y",
		"PT1H1H", "PT1.S", "PT.5S", "PT1.2.3S", "pt1s", "P1DT", "PT-1S", " PT1S",
		"PT1S ", "--PT1S", "PT1HT1M", "P1YT", "PT9999999999999S", "PT9223372037S",
		"P" + strings.Repeat("9", 50) + "D", "PT1M1H", "P0D0", "P00",
	} {
		if got, err := ParseISO8601Duration(in); err == nil {
			t.Errorf("ParseISO8601Duration(%q) = %v, want an error", in, got)
		} else if !errors.Is(err, errDuration) {
			t.Errorf("ParseISO8601Duration(%q) error %v does not wrap errDuration", in, err)
		}
	}
}

func FuzzParseISO8601Duration(f *testing.F) {
	for _, s := range []string{"PT0.2S", "P1Y2M3W4DT5H6M7.8S", "-PT1M", "P0", "PT", "P1,5D", "PT9223372036.854775807S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseISO8601Duration(s)
		if err != nil {
			if d != 0 {
				t.Fatalf("ParseISO8601Duration(%q) = %v with error %v, want 0", s, d, err)
			}
			return
		}
		if !strings.HasPrefix(s, "-") && d < 0 {
			t.Fatalf("ParseISO8601Duration(%q) = %v, want >= 0 without a sign", s, d)
		}
		if strings.HasPrefix(s, "-") {
			if back, err := ParseISO8601Duration(s[1:]); err != nil || back != -d {
				t.Fatalf("ParseISO8601Duration(%q) = %v, %v; want %v", s[1:], back, err, -d)
			}
		}
	})
}
