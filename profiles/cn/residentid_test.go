package cn

import (
	"errors"
	"fmt"
	"testing"
)

func TestParseResidentID(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in string
		number   string
		birth    string
		sex      Sex
		upgraded bool
		region   RegionStatus
		err      error
	}{
		// The GB 11643-1999 standard's own example.
		{name: "standard example", in: "11010519491231002X", number: "11010519491231002X", birth: "1949-12-31", sex: Female, region: RegionCurrent},
		{name: "lower-case x", in: "11010519491231002x", number: "11010519491231002X", birth: "1949-12-31", sex: Female, region: RegionCurrent},
		{name: "full-width", in: "１１０１０５１９４９１２３１００２Ｘ", number: "11010519491231002X", birth: "1949-12-31", sex: Female, region: RegionCurrent},
		{name: "spaces", in: "110105 19491231 002X", number: "11010519491231002X", birth: "1949-12-31", sex: Female, region: RegionCurrent},
		{name: "15 digits", in: "110105491231002", number: "11010519491231002X", birth: "1949-12-31", sex: Female, upgraded: true, region: RegionCurrent},
		{name: "male", in: MakeResidentID("330106", Date{1985, 3, 12}, 13), birth: "1985-03-12", sex: Male, region: RegionCurrent},
		// 320811 (清浦区, merged into 清江浦区 in 2016) is obsolete: tolerated.
		{name: "obsolete county", in: MakeResidentID("320811", Date{1970, 1, 2}, 24), birth: "1970-01-02", sex: Female, region: RegionUnknown},
		{name: "hong kong permit", in: MakeResidentID("810000", Date{1990, 6, 1}, 11), birth: "1990-06-01", sex: Male, region: RegionCurrent},
		{name: "check digit", in: "110105194912310021", err: ErrIDCheckDigit},
		{name: "transposed digits", in: "11010519491321002X", err: ErrIDCheckDigit},
		{name: "length", in: "1101051949123100", err: ErrIDLength},
		{name: "letter", in: "1101051949123A002X", err: ErrIDCharacter},
		{name: "bad date", in: MakeResidentID("110105", Date{1949, 2, 30}, 2), err: ErrIDBirthDate},
		{name: "bad province", in: MakeResidentID("990105", Date{1949, 2, 3}, 2), err: ErrIDRegion},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, err := ParseResidentID(c.in)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("err = %v, want %v", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := c.number
			if want == "" {
				want = NormalizeResidentID(c.in)
			}
			if id.Number != want || id.Birth.String() != c.birth || id.Sex != c.sex || id.Upgraded != c.upgraded || id.RegionFit != c.region {
				t.Errorf("got %+v", id)
			}
		})
	}
}

func TestEveryTranspositionAndTypoIsCaught(t *testing.T) {
	t.Parallel()
	id := MakeResidentID("330106", Date{1985, 3, 12}, 13)
	for i := 0; i < 17; i++ {
		for d := byte('0'); d <= '9'; d++ {
			if d == id[i] {
				continue
			}
			b := []byte(id)
			b[i] = d
			if _, err := ParseResidentID(string(b)); err == nil {
				t.Errorf("typo %s accepted", b)
			}
		}
		if i < 16 && id[i] != id[i+1] {
			b := []byte(id)
			b[i], b[i+1] = b[i+1], b[i]
			if _, err := ParseResidentID(string(b)); err == nil {
				t.Errorf("transposition %s accepted", b)
			}
		}
	}
}

func TestCanonicalSystem(t *testing.T) {
	t.Parallel()
	for _, s := range []string{SystemResidentID, SystemResidentIDHL7China, "2.16.156.10011.1.3", " 2.16.840.1.113883.2.23.1.19.1"} {
		if got := CanonicalSystem(s); got != SystemResidentID {
			t.Errorf("CanonicalSystem(%q) = %q", s, got)
		}
	}
	if got := CanonicalSystem("2.16.156.10011.1.19"); got != SystemHealthCard {
		t.Errorf("health card = %q", got)
	}
	if got := CanonicalSystem("http://example.org/mrn"); got != "http://example.org/mrn" {
		t.Errorf("unknown = %q", got)
	}
	if got := len(Aliases(SystemResidentIDHL7China)); got < 3 {
		t.Errorf("aliases = %d", got)
	}
	sys := LocalSystem("12330000470001234X", Outpatient)
	inst, kind, ok := ParseLocalSystem(sys)
	if !ok || inst != "12330000470001234X" || kind != Outpatient || TypeCode(sys) != "MR" {
		t.Errorf("local %q → %q %q %v", sys, inst, kind, ok)
	}
	if TypeCode(SystemResidentIDHL7China) != "NNCHN" {
		t.Error("type code")
	}
}

func TestRegions(t *testing.T) {
	t.Parallel()
	if n, ok := RegionName("330106"); !ok || n != "西湖区" {
		t.Errorf("330106 = %q %v", n, ok)
	}
	if CheckRegion("330199") != RegionUnknown || CheckRegion("990000") != RegionInvalid || CheckRegion("33010") != RegionInvalid {
		t.Error("CheckRegion")
	}
	if len(Counties("3301")) < 10 || len(Counties("")) < 2800 {
		t.Errorf("Counties: %d %d", len(Counties("3301")), len(Counties("")))
	}
}

func ExampleParseResidentID() {
	id, err := ParseResidentID("110105491231002") // an old 15-digit number
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(id.Number, id.Birth, id.Sex, id.Upgraded)
	// Output: 11010519491231002X 1949-12-31 female true
}
