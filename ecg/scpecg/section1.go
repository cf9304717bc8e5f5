package scpecg

import (
	"bytes"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"

	"yigong/ecg"
)

// cst is the project default zone for local times without an offset.
var cst = time.FixedZone("CST", 8*3600)

// Section 1 tags (EN 1064 §5.4.3).
const (
	tagLastName     = 0
	tagFirstName    = 1
	tagPatientID    = 2
	tagSecondLast   = 3
	tagAge          = 4
	tagBirthDate    = 5
	tagHeight       = 6
	tagWeight       = 7
	tagSex          = 8
	tagAcqDevice    = 14
	tagInstitution  = 16
	tagAcqDate      = 25
	tagAcqTime      = 26
	tagTimeZone     = 34
	tagTerminator   = 255
	undefinedUnit16 = 0
)

// text returns a NUL-terminated string field. Text that is not UTF-8 is
// read as ISO 8859-1 (the SCP-ECG default character set).
func text(b []byte) string { return latin1(b) }

// trimNUL cuts b at its first NUL.
func trimNUL(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

func latin1(b []byte) string {
	b = trimNUL(b)
	if utf8.Valid(b) {
		return strings.TrimSpace(string(b))
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return strings.TrimSpace(string(r))
}

// languageOffset is the language support code's place in tag 14 (and 15):
// after institution (2), department (2), device id (2), device type (1),
// manufacturer (1), model (6), protocol revision (1) and compatibility
// level (1).
const languageOffset = 16

// textDecoder returns how the free-text fields of section 1 are decoded,
// from the language support code of tag 14 (EN 1064 §5.5.3.14: bit 0
// clear is 8-bit ASCII; xxxxxx01 ISO 8859-1; 0x03 ISO 8859-2, 0x0B -4,
// 0x13 -5, 0x1B -6, 0x23 -7, 0x2B -8, 0x33 -11, 0x3B -15; 0x07 ISO 10646;
// 0x0F, 0x17, 0x1F the JIS sets; 0x27 GB 2312; 0x2F KS C 5601). GB 2312
// text is decoded as GB18030, its superset, which Chinese carts write
// under this code. Text that is valid UTF-8 is taken as UTF-8 whatever the
// code (carts that declare GB 2312 and write UTF-8 exist). Codes without a
// decoder here fall back to [latin1].
func textDecoder(b []byte) func([]byte) string {
	code, ok := languageCode(b)
	if !ok {
		return latin1
	}
	var enc encoding.Encoding
	switch {
	case code&1 == 0, code&3 == 1:
		return latin1
	case code == 0x27:
		enc = simplifiedchinese.GB18030
	case code == 0x07:
		return latin1 // ISO 10646: UTF-8 passes through, nothing else is decoded
	case code == 0x0F, code == 0x17, code == 0x1F:
		enc = japanese.EUCJP
	case code == 0x2F:
		enc = korean.EUCKR
	default:
		if cm, ok := latinParts[code]; ok {
			enc = cm
		} else {
			return latin1
		}
	}
	return func(v []byte) string {
		v = trimNUL(v)
		if utf8.Valid(v) {
			// ASCII, or a cart that declares a national set but writes
			// UTF-8: multi-byte text valid as UTF-8 is rarely anything else.
			return strings.TrimSpace(string(v))
		}
		s, err := enc.NewDecoder().Bytes(v)
		if err != nil {
			return latin1(v)
		}
		return strings.TrimSpace(string(s))
	}
}

var latinParts = map[byte]encoding.Encoding{
	0x03: charmap.ISO8859_2, 0x0B: charmap.ISO8859_4, 0x13: charmap.ISO8859_5,
	0x1B: charmap.ISO8859_6, 0x23: charmap.ISO8859_7, 0x2B: charmap.ISO8859_8,
	0x33: charmap.Windows874, 0x3B: charmap.ISO8859_15,
}

// languageCode finds the language support code in section 1's tag 14.
func languageCode(b []byte) (byte, bool) {
	for p := 0; p+3 <= len(b); {
		tag, n := int(b[p]), int(le16(b[p+1:]))
		p += 3
		if tag == tagTerminator || p+n > len(b) {
			break
		}
		if tag == tagAcqDevice && n > languageOffset {
			return b[p+languageOffset], true
		}
		p += n
	}
	return 0, false
}

func parsePatient(b []byte, rec *ecg.Record) error {
	text := textDecoder(b)
	var (
		date       time.Time
		hasDate    bool
		h, m, s    int
		hasTime    bool
		zone       = cst
		secondLast string
	)
	for p := 0; p < len(b); {
		if p+3 > len(b) {
			return fmt.Errorf("scpecg: section 1: truncated tag at byte %d", p)
		}
		tag, n := int(b[p]), int(le16(b[p+1:]))
		p += 3
		if tag == tagTerminator {
			break
		}
		if p+n > len(b) {
			return fmt.Errorf("scpecg: section 1: tag %d: %d bytes beyond section end", tag, n)
		}
		v := b[p : p+n]
		p += n
		pt := &rec.Patient
		switch tag {
		case tagLastName:
			pt.FamilyName = text(v)
		case tagFirstName:
			pt.GivenName = text(v)
		case tagSecondLast:
			secondLast = text(v)
		case tagPatientID:
			pt.ID = text(v)
		case tagAge:
			if n >= 3 && le16(v) != undefinedUnit16 {
				units := [...]string{"", "a", "mo", "wk", "d", "h"}
				u := ""
				if int(v[2]) < len(units) {
					u = units[v[2]]
				}
				pt.Age = ecg.Quantity{Value: float64(le16(v)), Unit: u}
			}
		case tagBirthDate:
			if n >= 4 && le16(v) != 0 && v[2] >= 1 && v[2] <= 12 && v[3] >= 1 && v[3] <= 31 {
				pt.BirthDate = time.Date(int(le16(v)), time.Month(v[2]), int(v[3]), 0, 0, 0, 0, cst)
			}
		case tagHeight:
			if n >= 3 {
				switch v[2] {
				case 1:
					pt.HeightCM = float64(le16(v))
				case 2:
					pt.HeightCM = float64(le16(v)) * 2.54
				case 3:
					pt.HeightCM = float64(le16(v)) / 10
				}
			}
		case tagWeight:
			if n >= 3 {
				switch v[2] {
				case 1:
					pt.WeightKG = float64(le16(v))
				case 2:
					pt.WeightKG = float64(le16(v)) / 1000
				case 3:
					pt.WeightKG = float64(le16(v)) * 0.45359237
				case 4:
					pt.WeightKG = float64(le16(v)) * 0.028349523
				}
			}
		case tagSex:
			if n >= 1 {
				switch v[0] {
				case 1:
					pt.Sex = ecg.SexMale
				case 2:
					pt.Sex = ecg.SexFemale
				case 9:
					pt.Sex = ecg.SexUnspecified
				}
			}
		case tagAcqDevice:
			parseDevice(v, &rec.Device, text)
		case tagInstitution:
			rec.Device.Institution = text(v)
		case tagAcqDate:
			if n >= 4 && v[2] >= 1 && v[2] <= 12 && v[3] >= 1 && v[3] <= 31 {
				date, hasDate = time.Date(int(le16(v)), time.Month(v[2]), int(v[3]), 0, 0, 0, 0, time.UTC), true
			}
		case tagAcqTime:
			if n >= 3 && v[0] < 24 && v[1] < 60 && v[2] < 61 {
				h, m, s, hasTime = int(v[0]), int(v[1]), int(v[2]), true
			}
		case tagTimeZone:
			// Offset in minutes from UTC, signed; 0x7FFF means unused.
			if n >= 2 {
				if off := int16(le16(v)); off != 0x7fff && off > -24*60 && off < 24*60 {
					zone = time.FixedZone("", int(off)*60)
				}
			}
		}
	}
	if secondLast != "" && rec.Patient.FamilyName == "" {
		rec.Patient.FamilyName = secondLast
	}
	if hasDate {
		if !hasTime {
			h, m, s = 0, 0, 0
		}
		rec.Start = time.Date(date.Year(), date.Month(), date.Day(), h, m, s, 0, zone)
	}
	return nil
}

// parseDevice reads tag 14, the acquiring device identification: institution
// (2), department (2), device id (2), device type (1), manufacturer code (1),
// model description (6), protocol revision, compatibility level, language,
// capabilities, mains frequency (1 each), 16 reserved bytes, then the
// length-prefixed analysing program revision and NUL-terminated serial
// number, system software, SCP implementation software and manufacturer.
func parseDevice(v []byte, d *ecg.Device, text func([]byte) string) {
	if len(v) < 14 {
		return
	}
	d.Model = text(v[8:14])
	if mfr := manufacturer(v[7]); mfr != "" {
		d.Manufacturer = mfr
	}
	p := 14 + 5 + 16
	if p >= len(v) {
		return
	}
	n := int(v[p])
	p++
	if p+n > len(v) {
		return
	}
	p += n // analysing program revision
	strs := bytes.SplitN(v[p:], []byte{0}, 5)
	field := func(i int) string {
		if i < len(strs) {
			return text(strs[i])
		}
		return ""
	}
	d.Serial = field(0)
	d.Software = field(1)
	if m := field(3); m != "" {
		d.Manufacturer = m
	}
}

// manufacturer names the manufacturer codes of EN 1064 tag 14; 255 means
// the name is in the manufacturer string.
func manufacturer(c byte) string {
	names := [...]string{
		1: "Burdick", 2: "Cambridge Heart", 3: "Compumed", 4: "Datamed",
		5: "Fukuda", 6: "Hewlett-Packard", 7: "Marquette Electronics",
		8: "Mortara Instruments", 9: "Nihon Kohden", 10: "Okin", 11: "Quinton",
		12: "Siemens", 13: "Spacelabs", 14: "Telemed", 15: "Hellige",
		16: "ESA-OTE", 17: "Schiller", 18: "Picker-Schwarzer",
		19: "Elettronica-Trentina", 20: "Zwönitz",
	}
	if int(c) < len(names) {
		return names[c]
	}
	return ""
}
