package codfisc

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestValidatePlace(t *testing.T) {
	ref := date(2026, time.January, 1)
	tests := []struct {
		name string
		code string
		want *Error // nil means valid
	}{
		{"Roma", "RSSMRA80A01H501U", nil},
		{"Trento, omocodic place", "BNCGLI92L55L37US", nil},
		{"ceased comune while it existed", "RSSMRA80A01A901V", nil}, // Bleggio Inferiore, ceased 2009-12-31
		{"ceased comune, female", "VRDLCU85M41A901H", nil},
		{"ceased comune after it ceased", "RSSMRA12A01A901E", &Error{Reason: ReasonPlaceDate, Pos: 12, Got: "A901", Want: "a place that existed on 2012-01-01"}},
		{"comune before it was instituted", "RSSMRA50A01H872G", &Error{Reason: ReasonPlaceDate, Pos: 12, Got: "H872", Want: "a place that existed on 1950-01-01"}}, // Sangiano, 1928–1963 merged
		{"new comune", "RSSMRA20A01M314P", nil}, // Comano Terme, from 2010 (2020 by the century rule)
		{"foreign state", "RSSMRA26A01Z404J", nil},
		{"foreign state, omocodic", "MRSMSR81D60Z611H", nil},
		{"unknown comune", "RSSMRA26A01M999D", &Error{Reason: ReasonPlaceUnknown, Pos: 12, Got: "M999", Want: "a Belfiore code from the ANPR archive"}},
		{"unknown foreign code", "RSSMRA30A41Z999Q", &Error{Reason: ReasonPlaceUnknown, Pos: 12, Got: "Z999", Want: "a Belfiore code from the ANPR archive"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.code)
			if err != nil {
				t.Fatal(err)
			}
			var got *Error
			if err := ValidatePlace(c, ref); err != nil {
				var ok bool
				if got, ok = err.(*Error); !ok {
					t.Fatalf("ValidatePlace: %v is not *Error", err)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ValidatePlace mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlaceName(t *testing.T) {
	type result struct {
		Name, Province string
		OK             bool
	}
	tests := []struct {
		belfiore string
		on       time.Time
		want     result
	}{
		{"L378", date(1992, 7, 15), result{"TRENTO", "TN", true}},
		{"L378", date(1920, 10, 16), result{"TRENTO", "TN", true}},
		{"L378", date(1920, 10, 15), result{}}, // before annexation the archive has no record
		{"G452", date(1925, 1, 1), result{"PÈRGINE", "TN", true}},
		{"G452", date(1929, 1, 25), result{"PERGINE VALSUGANA", "TN", true}},
		{"H872", date(1927, 6, 1), result{"SANGIANO", "VA", true}},
		{"H872", date(1927, 1, 11), result{"SANGIANO", "CO", true}},
		{"A901", date(2009, 12, 31), result{"BLEGGIO INFERIORE", "TN", true}},
		{"A901", date(2010, 1, 1), result{}},
		{"Z112", date(1970, 1, 1), result{"GERMANIA", "EE", true}},
		{"Z513", date(1970, 1, 1), result{"ISOLA DELLA MARTINICA", "EE", true}}, // name cut from the converted table's run-on text
		{"M999", date(1970, 1, 1), result{}},
		{"", date(1970, 1, 1), result{}},
	}
	for _, tc := range tests {
		t.Run(tc.belfiore+"@"+tc.on.Format(time.DateOnly), func(t *testing.T) {
			var got result
			got.Name, got.Province, got.OK = PlaceName(tc.belfiore, tc.on)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("PlaceName mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTables guards the embedded data against a bad regeneration.
func TestTables(t *testing.T) {
	m := places()
	comuni, stati := 0, 0
	for code, ps := range m {
		if len(code) != 4 || code[0] < 'A' || code[0] > 'Z' {
			t.Errorf("bad code %q", code)
		}
		for i, p := range ps {
			if p.name == "" || p.province == "" || p.from > p.to {
				t.Errorf("%s: bad period %+v", code, p)
			}
			if i > 0 && ps[i-1].from > p.from {
				t.Errorf("%s: periods out of order", code)
			}
		}
		if code[0] == 'Z' {
			stati++
		} else {
			comuni++
		}
	}
	// 9,859 cadastral codes in the archive's 19,352 records; 208 Z-codes.
	if comuni < 9000 || stati < 200 {
		t.Errorf("got %d comuni codes and %d foreign codes; the tables look truncated", comuni, stati)
	}
}

func BenchmarkValidatePlace(b *testing.B) {
	c, err := Parse("BNCGLI92L55L37US")
	if err != nil {
		b.Fatal(err)
	}
	ref := date(2026, 1, 1)
	places()
	for b.Loop() {
		if err := ValidatePlace(c, ref); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoadPlaces(b *testing.B) {
	for b.Loop() {
		m := make(map[string][]period, 10000)
		if err := loadPlaces(m, comuniCSV, true); err != nil {
			b.Fatal(err)
		}
	}
}
