package dicom_test

import (
	"testing"
	"time"

	"yigong/dicom"
	"yigong/dicom/charset"
)

func TestDictionary(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		tag     dicom.Tag
		keyword string
		vr      dicom.VR
		vm      string
		retired bool
	}{
		{"plain", dicom.TagPatientName, "PatientName", dicom.PN, "1", false},
		{"US or SS", dicom.NewTag(0x0028, 0x0106), "SmallestImagePixelValue", dicom.US, "1", false},
		{"OB or OW", dicom.TagPixelData, "PixelData", dicom.OB, "1", false},
		{"overlay 60xx", dicom.NewTag(0x6002, 0x3000), "OverlayData", dicom.OB, "1", false},
		{"curve 50xx retired", dicom.NewTag(0x5004, 0x0010), "NumberOfPoints", dicom.US, "1", true},
		{"retired", dicom.NewTag(0x0008, 0x0010), "RecognitionCode", dicom.SH, "1", true},
		{"group length", dicom.NewTag(0x0008, 0x0000), "GroupLength", dicom.UL, "1", false},
		{"private creator", dicom.NewTag(0x0029, 0x0010), "PrivateCreator", dicom.LO, "1", false},
		{"OV", dicom.NewTag(0x7FE0, 0x0001), "ExtendedOffsetTable", dicom.OV, "1", false},
		{"UV", dicom.NewTag(0x0072, 0x0083), "SelectorUVValue", dicom.UV, "1-n", false},
		{"UC", dicom.NewTag(0x0008, 0x0119), "LongCodeValue", dicom.UC, "1", false},
		{"UR", dicom.NewTag(0x0008, 0x0120), "URNCodeValue", dicom.UR, "1", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e, ok := dicom.LookupTag(c.tag)
			if !ok {
				t.Fatalf("%s not found", c.tag)
			}
			if e.Keyword != c.keyword || e.VR() != c.vr || e.VM != c.vm || e.Retired != c.retired {
				t.Errorf("got %+v", e)
			}
			if c.tag.IsGroupLength() || c.tag.IsPrivateCreator() {
				return
			}
			k, ok := dicom.LookupKeyword(c.keyword)
			if !ok || k.Keyword != c.keyword {
				t.Errorf("LookupKeyword(%q) = %+v, %v", c.keyword, k, ok)
			}
		})
	}
	if src := dicom.DictionarySource(); src == "" {
		t.Error("no dictionary source")
	}
}

func TestParseTag(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"(0010,0010)", "0010,0010", "00100010", "PatientName"} {
		got, err := dicom.ParseTag(s)
		if err != nil || got != dicom.TagPatientName {
			t.Errorf("ParseTag(%q) = %s, %v", s, got, err)
		}
	}
	if _, err := dicom.ParseTag("NoSuchKeyword"); err == nil {
		t.Error("unknown keyword parsed")
	}
}

func TestPersonName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want dicom.PersonName
	}{
		{"Wang^XiaoDong=王^小东=", dicom.PersonName{
			Alphabetic:  dicom.NameGroup{Family: "Wang", Given: "XiaoDong"},
			Ideographic: dicom.NameGroup{Family: "王", Given: "小东"},
		}},
		{"Yamada^Tarou=山田^太郎=やまだ^たろう", dicom.PersonName{
			Alphabetic:  dicom.NameGroup{Family: "Yamada", Given: "Tarou"},
			Ideographic: dicom.NameGroup{Family: "山田", Given: "太郎"},
			Phonetic:    dicom.NameGroup{Family: "やまだ", Given: "たろう"},
		}},
		{"Adams^John Robert Quincy^^Rev.^B.A. M.Div.", dicom.PersonName{
			Alphabetic: dicom.NameGroup{Family: "Adams", Given: "John Robert Quincy", Prefix: "Rev.", Suffix: "B.A. M.Div."},
		}},
		{"=张^璡", dicom.PersonName{Ideographic: dicom.NameGroup{Family: "张", Given: "璡"}}},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			t.Parallel()
			got := dicom.ParsePersonName(c.in)
			if got != c.want {
				t.Errorf("got %+v", got)
			}
			if again := dicom.ParsePersonName(got.String()); again != got {
				t.Errorf("String() %q does not parse back", got.String())
			}
		})
	}
}

// TestGB18030Trap: 璡 ends in 0x5C. The PN value must stay one value whose
// groups split correctly, and survive Set → Raw → Strings.
func TestGB18030Trap(t *testing.T) {
	t.Parallel()
	for _, term := range []string{"GB18030", "GBK"} {
		t.Run(term, func(t *testing.T) {
			t.Parallel()
			ds := dicom.New()
			cs, _ := charset.Parse(term)
			if err := ds.SetStrings(dicom.TagSpecificCharacterSet, 0, term); err != nil {
				t.Fatal(err)
			}
			if ds.Charset().Terms()[0] != cs.Terms()[0] {
				t.Fatalf("charset %v", ds.Charset().Terms())
			}
			if err := ds.SetStrings(dicom.TagPatientName, 0, "Zhang^Jin=张^璡"); err != nil {
				t.Fatal(err)
			}
			e, _ := ds.Get(dicom.TagPatientName)
			if string(e.Raw) != "Zhang^Jin=\xd5\xc5^\xad\x5c" {
				t.Fatalf("raw % x", e.Raw)
			}
			vals, _ := e.Strings()
			if len(vals) != 1 || e.VM() != 1 {
				t.Fatalf("values %q, VM %d: 0x5C split the value", vals, e.VM())
			}
			pn, _ := e.PersonName()
			if pn.Ideographic.Family != "张" || pn.Ideographic.Given != "璡" || pn.Alphabetic.Family != "Zhang" {
				t.Errorf("groups %+v", pn)
			}
			// Two values, each ending in 0x5C: exactly two.
			_ = ds.SetStrings(dicom.NewTag(0x0010, 0x1001), dicom.PN, `乗^璡\璡^乗`) // OtherPatientNames
			o, _ := ds.Get(dicom.NewTag(0x0010, 0x1001))
			if v, _ := o.Strings(); len(v) != 2 || v[0] != "乗^璡" || v[1] != "璡^乗" {
				t.Errorf("two values: %q", v)
			}
		})
	}
}

func TestValues(t *testing.T) {
	t.Parallel()
	ds := dicom.New()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(ds.SetStrings(dicom.NewTag(0x0028, 0x0030), 0, "0.5", " 0.25 ")) // DS
	must(ds.SetStrings(dicom.TagInstanceNumber, 0, "+12"))                // IS
	must(ds.SetInts(dicom.NewTag(0x0028, 0x0106), dicom.SS, -5))
	must(ds.SetInts(dicom.NewTag(0x0028, 0x0009), 0, int64(dicom.NewTag(0x0018, 0x1063)))) // AT
	must(ds.SetFloats(dicom.NewTag(0x0018, 0x9087), 0, 1000.5))                            // FD
	must(ds.SetInts(dicom.NewTag(0x0072, 0x0082), dicom.SV, -1<<40))
	cases := []struct {
		name string
		tag  dicom.Tag
		want string
	}{
		{"DS", dicom.NewTag(0x0028, 0x0030), "0.5|0.25"},
		{"IS", dicom.TagInstanceNumber, "+12"},
		{"SS", dicom.NewTag(0x0028, 0x0106), "-5"},
		{"AT", dicom.NewTag(0x0028, 0x0009), "(0018,1063)"},
		{"FD", dicom.NewTag(0x0018, 0x9087), "1000.5"},
		{"SV", dicom.NewTag(0x0072, 0x0082), "-1099511627776"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, err := ds.Strings(c.tag)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for i, v := range s {
				if i > 0 {
					got += "|"
				}
				got += v
			}
			if got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	if f, _ := ds.Floats(dicom.NewTag(0x0028, 0x0030)); len(f) != 2 || f[1] != 0.25 {
		t.Errorf("DS floats %v", f)
	}
	if n, _ := ds.Int(dicom.TagInstanceNumber); n != 12 {
		t.Errorf("IS int %d", n)
	}
	if _, err := ds.Int(dicom.TagPatientID); err == nil {
		t.Error("missing tag gave no error")
	}
	must(ds.SetStrings(dicom.NewTag(0x0028, 0x0008), 0, "1A")) // badVR.dcm's NumberOfFrames
	if _, err := ds.Int(dicom.NewTag(0x0028, 0x0008)); err == nil {
		t.Error("IS 1A parsed")
	}
}

func TestDates(t *testing.T) {
	t.Parallel()
	cst := dicom.DefaultZone()
	cases := []struct {
		vr   dicom.VR
		in   string
		want time.Time
		prec dicom.Precision
		bad  bool
	}{
		{dicom.DA, "20240229", time.Date(2024, 2, 29, 0, 0, 0, 0, cst), dicom.PrecisionDay, false},
		{dicom.DA, "2024.02.29", time.Date(2024, 2, 29, 0, 0, 0, 0, cst), dicom.PrecisionDay, false},
		{dicom.DA, "20230229", time.Time{}, 0, true},
		{dicom.TM, "0708", time.Date(0, 1, 1, 7, 8, 0, 0, cst), dicom.PrecisionMinute, false},
		{dicom.TM, "070809.123", time.Date(0, 1, 1, 7, 8, 9, 123000000, cst), dicom.PrecisionFraction, false},
		{dicom.DT, "20240102030405.5+0000", time.Date(2024, 1, 2, 3, 4, 5, 500000000, time.UTC), dicom.PrecisionFraction, false},
		{dicom.DT, "2024", time.Date(2024, 1, 1, 0, 0, 0, 0, cst), dicom.PrecisionYear, false},
		{dicom.DT, "2024013", time.Time{}, 0, true},
	}
	for _, c := range cases {
		t.Run(c.vr.String()+" "+c.in, func(t *testing.T) {
			t.Parallel()
			var d dicom.DateTime
			var err error
			switch c.vr {
			case dicom.DA:
				d, err = dicom.ParseDate(c.in, nil)
			case dicom.TM:
				d, err = dicom.ParseTime(c.in, nil)
			default:
				d, err = dicom.ParseDateTime(c.in, nil)
			}
			if c.bad {
				if err == nil {
					t.Fatalf("parsed %v", d)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !d.Time.Equal(c.want) || d.Precision != c.prec {
				t.Errorf("got %v prec %d, want %v prec %d", d.Time, d.Precision, c.want, c.prec)
			}
		})
	}
	r, err := dicom.ParseRange(dicom.DA, "20240101-20240131", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Contains(time.Date(2024, 1, 31, 23, 0, 0, 0, cst)) || r.Contains(time.Date(2024, 2, 1, 0, 0, 0, 0, cst)) {
		t.Error("range bounds wrong")
	}
	open, err := dicom.ParseRange(dicom.DT, "20240101+0800-", nil)
	if err != nil || open.To != nil || open.From == nil {
		t.Errorf("open DT range: %+v %v", open, err)
	}
}
