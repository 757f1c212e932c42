package precheck

import "testing"

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"3.2.1.0", "3.2.1.0", 0},
		{"3.2.1", "3.2.1.0", 0},
		{"3.2.1.1", "3.2.1.0", 1},
		{"3.2.0.9", "3.2.1.0", -1},
		{"3.10.0.0", "3.9.9.9", 1},
		{"3.1.10.2", "3.2.1.0", -1},
		{"3.2.6.0", "3.2.6.0", 0},
		{"3.2.10.0", "3.2.6.0", 1},
		{"AnalyticDB 3.2.1.3-build7", "3.2.1.0", 1},
		{"v3.2.0", "3.2.1.0", -1},
		{"4", "3.2.1.0", 1},
	}
	for _, tt := range tests {
		got, err := compareVersions(tt.a, tt.b)
		if err != nil || got != tt.want {
			t.Errorf("compareVersions(%q, %q) = %d, %v; want %d", tt.a, tt.b, got, err, tt.want)
		}
		if back, _ := compareVersions(tt.b, tt.a); back != -tt.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tt.b, tt.a, back, -tt.want)
		}
	}
	for _, bad := range []string{"", "latest", "v.x"} {
		if _, err := compareVersions(bad, "3.2.1.0"); err == nil {
			t.Errorf("compareVersions(%q, ...) gave no error", bad)
		}
	}
}

func TestFindVersion(t *testing.T) {
	for in, want := range map[string]string{
		"3.2.1.0":                  "3.2.1.0",
		"adb_mysql 3.1.8.3 (x86)":  "3.1.8.3",
		"8.0.31-AnalyticDB-3.2.0":  "8.0.31", // the caller rejects a non-3.x answer
		"no version here":          "",
		"kernel-version: 3.2.6.12": "3.2.6.12",
	} {
		if got, _ := findVersion(in); got != want {
			t.Errorf("findVersion(%q) = %q, want %q", in, got, want)
		}
	}
}
