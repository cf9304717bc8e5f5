package scpecg

import (
	"bytes"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"yigong/ecg"
)

// section1 builds section 1 tags: the given text tags, then tag 14 with
// the language support code (when lsc ≥ 0) and the terminator.
func section1(lsc int, tags map[byte][]byte) []byte {
	var b []byte
	for _, tag := range []byte{tagLastName, tagFirstName, tagPatientID, tagInstitution} {
		if v, ok := tags[tag]; ok {
			v = append(append([]byte(nil), v...), 0)
			b = append(b, tag)
			b = le.AppendUint16(b, uint16(len(v)))
			b = append(b, v...)
		}
	}
	if lsc >= 0 {
		dev := make([]byte, 35) // up to the 16 reserved bytes
		copy(dev[8:], "CART01")
		dev[7] = 255
		dev[16] = byte(lsc)
		dev = append(dev, 0) // no analysing program revision
		dev = append(dev, "SN-7\x00sw\x00\x00深圳某医疗\x00"...)
		b = append(b, tagAcqDevice)
		b = le.AppendUint16(b, uint16(len(dev)))
		b = append(b, dev...)
	}
	return append(b, tagTerminator, 0, 0)
}

func gb(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSection1Charset decodes patient names by the language support code.
// 王 is CD F5, 珅 is AB 7C (a '|' second byte), 𠀀 is a four-byte GB18030
// sequence (95 32 82 36).
func TestSection1Charset(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		lsc         int
		last, first []byte
		wantLast    string
		wantFirst   string
	}{
		{"GB 2312 code, GB18030 bytes", 0x27, gb(t, "王"), gb(t, "小东珅𠀀"), "王", "小东珅𠀀"},
		{"GB 2312 code, UTF-8 bytes kept", 0x27, []byte("王"), []byte("小东"), "王", "小东"},
		{"ISO 8859-1", 0x01, []byte("M\xfcller"), []byte("Jos\xe9"), "Müller", "José"},
		{"ASCII only, Latin-1 fallback", 0x00, []byte("M\xfcller"), []byte("Ann"), "Müller", "Ann"},
		{"no tag 14", -1, []byte("Smith"), []byte("Ann"), "Smith", "Ann"},
		{"ISO 8859-5", 0x13, []byte{0xB8, 0xD2, 0xD0, 0xDD}, []byte("A"), "Иван", "A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec ecg.Record
			b := section1(tt.lsc, map[byte][]byte{tagLastName: tt.last, tagFirstName: tt.first, tagInstitution: gb(t, "县人民医院")})
			if err := parsePatient(b, &rec); err != nil {
				t.Fatal(err)
			}
			if rec.Patient.FamilyName != tt.wantLast || rec.Patient.GivenName != tt.wantFirst {
				t.Errorf("name %q %q, want %q %q", rec.Patient.FamilyName, rec.Patient.GivenName, tt.wantLast, tt.wantFirst)
			}
			if tt.lsc == 0x27 && (rec.Device.Institution != "县人民医院" || rec.Device.Manufacturer != "深圳某医疗" || rec.Device.Serial != "SN-7") {
				t.Errorf("device %+v", rec.Device)
			}
		})
	}
}

// TestGB18030Record decodes a whole record whose section 1 is GB18030.
func TestGB18030Record(t *testing.T) {
	t.Parallel()
	file := scpRecord(map[int][]byte{
		1: section1(0x27, map[byte][]byte{tagLastName: gb(t, "王"), tagFirstName: gb(t, "小东"), tagPatientID: []byte("330102199001011234")}),
		3: section3(0, 2, 1, 20),
		6: encodedSection(5000, 2000, 0, 0, make([]int16, 20)),
	})
	rec, err := Decode(file)
	if err != nil {
		t.Fatal(err)
	}
	if p := rec.Patient; p.FamilyName != "王" || p.GivenName != "小东" || p.ID != "330102199001011234" {
		t.Errorf("patient %+v", p)
	}
	if !bytes.Contains(file, gb(t, "王")) {
		t.Error("the vector does not hold GB18030 bytes")
	}
}
