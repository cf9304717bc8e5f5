package hl7v2_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yigong/hl7v2"
)

func TestSyntaxErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        string
		wantSeg   int
		wantName  string
		wantField int
		wantErr   error
	}{
		{"empty", "", 1, "", 0, nil},
		{"not MSH", "PID|1\r", 1, "", 0, nil},
		{"short", "MSH", 1, "", 0, nil},
		{"duplicate delimiters", "MSH|^^\\&|A\r", 1, "MSH", 2, nil},
		{"alnum delimiter", "MSH|^~\\A|A\r", 1, "MSH", 2, nil},
		{"bad segment name", "MSH|^~\\&|A\rpid|1\r", 2, "", 0, nil},
		{"long segment name", "MSH|^~\\&|A\rPIDX|1\r", 2, "", 0, nil},
		{"second MSH", "MSH|^~\\&|A\rPID|1\rMSH|^~\\&|B\r", 3, "MSH", 0, nil},
		{"batch inside", "MSH|^~\\&|A\rBTS|1\r", 2, "BTS", 0, nil},
		{"unsupported default", "MSH|^~\\&|A\r", 1, "MSH", 18, hl7v2.ErrUnsupportedCharset},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := hl7v2.DecodeOptions{}
			if tc.wantErr == hl7v2.ErrUnsupportedCharset {
				opts.DefaultCharset = "NOPE"
			}
			_, err := opts.Parse([]byte(tc.in))
			var se *hl7v2.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *SyntaxError", err)
			}
			if se.Segment != tc.wantSeg || se.SegmentName != tc.wantName || se.Field != tc.wantField {
				t.Errorf("position = %d %q field %d, want %d %q field %d (%v)", se.Segment, se.SegmentName, se.Field, tc.wantSeg, tc.wantName, tc.wantField, err)
			}
			if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
				t.Errorf("err = %v, want %v", err, tc.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "hl7v2: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestSizeCaps(t *testing.T) {
	t.Parallel()
	big := "MSH|^~\\&|A\r" + strings.Repeat("NTE|1||"+strings.Repeat("x", 100)+"\r", 100)
	if _, err := (hl7v2.DecodeOptions{MaxMessageSize: 1000}).Parse([]byte(big)); !errors.Is(err, hl7v2.ErrTooLarge) {
		t.Errorf("Parse over size: %v", err)
	}
	if _, err := (hl7v2.DecodeOptions{MaxSegments: 10}).Parse([]byte(big)); !errors.Is(err, hl7v2.ErrTooLarge) {
		t.Errorf("Parse over segments: %v", err)
	}
	dec := hl7v2.DecodeOptions{MaxMessageSize: 1000}.NewDecoder(strings.NewReader(big))
	if _, err := dec.Decode(); !errors.Is(err, hl7v2.ErrTooLarge) {
		t.Errorf("Decode over size: %v", err)
	}
	// a single endless line is cut off too
	dec = hl7v2.DecodeOptions{MaxMessageSize: 1000}.NewDecoder(io.MultiReader(strings.NewReader("MSH|^~\\&|"), zeros{}))
	if _, err := dec.Decode(); !errors.Is(err, hl7v2.ErrTooLarge) {
		t.Errorf("Decode endless line: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func TestDecoderResync(t *testing.T) {
	t.Parallel()
	in := "MSH|^~\\&|A||||||ADT^A01|1|P|2.5\rPID|1\r" +
		"MSH|^^^^|broken\rPID|1\r" +
		"MSH|^~\\&|A||||||ADT^A01|3|P|2.5\rPID|1\r"
	dec := hl7v2.NewDecoder(strings.NewReader(in))
	var ids []string
	var errs int
	for {
		m, err := dec.Decode()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *hl7v2.SyntaxError
			if !errors.As(err, &se) {
				t.Fatal(err)
			}
			if se.Offset != int64(len("MSH|^~\\&|A||||||ADT^A01|1|P|2.5\rPID|1\r")) {
				t.Errorf("Offset = %d", se.Offset)
			}
			errs++
			continue
		}
		ids = append(ids, m.ControlID())
	}
	if strings.Join(ids, ",") != "1,3" || errs != 1 {
		t.Errorf("ids %v, errors %d", ids, errs)
	}
}

func TestBatch(t *testing.T) {
	t.Parallel()
	in := "FHS|^~\\&|SENDER|F|||20240101\r" +
		"BHS|^~\\&|SENDER|F|||20240101||||B1\r" +
		"MSH|^~\\&|SENDER|F|||20240101||ADT^A01|M1|P|2.5\rPID|1||X\r" +
		"MSH|^~\\&|SENDER|F|||20240101||ADT^A01|M2|P|2.5\rPID|1||Y\r" +
		"BTS|2\r" +
		"FTS|1\r"
	dec := hl7v2.NewDecoder(strings.NewReader(in))
	var ids []string
	for {
		m, err := dec.Decode()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		fhs, bhs := dec.Batch()
		if fhs == nil || bhs == nil || bhs.Field(11).String() != "B1" || bhs.Field(2).Raw() != "^~\\&" {
			t.Errorf("batch headers not recorded: %v %v", fhs, bhs)
		}
		if m.Segments[len(m.Segments)-1].Name() != "PID" {
			t.Errorf("message swallowed a batch trailer")
		}
		ids = append(ids, m.ControlID())
	}
	if strings.Join(ids, ",") != "M1,M2" {
		t.Errorf("ids = %v", ids)
	}
}

func TestEscapes(t *testing.T) {
	t.Parallel()
	d := hl7v2.DefaultDelimiters
	d27 := d
	d27.Truncation = '#'
	tests := []struct {
		name string
		d    hl7v2.Delimiters
		raw  string
		text string
	}{
		{"delimiters", d, `a\F\b\S\c\T\d\R\e\E\f`, `a|b^c&d~e\f`},
		{"hex", d, `\X0D0A\`, "\r\n"},
		{"hex utf8", d, `\XE78F85\`, "珅"},
		{"formatting kept", d, `line1\.br\line2\H\bold\N\`, `line1\.br\line2\H\bold\N\`},
		{"truncation v2.7", d27, `50\P\`, `50#`},
		{"P without truncation char", d, `\P\`, `\P\`},
		{"stray escape", d, `a\b`, `a\b`},
		{"bad hex", d, `\XZZ\`, `\XZZ\`},
		{"charset escape kept", d, `\C2842\x`, `\C2842\x`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := hl7v2.Unescape(tc.raw, tc.d); got != tc.text {
				t.Errorf("Unescape(%q) = %q, want %q", tc.raw, got, tc.text)
			}
		})
	}
	// Escape then Unescape is the identity on arbitrary text.
	for _, s := range []string{`a|b^c&d~e\f`, "x\r\ny", "50#", "王珅 \\ 區", ""} {
		for _, dd := range []hl7v2.Delimiters{d, d27, {Field: '!', Component: '@', Repetition: '$', Escape: '%', SubComponent: '*'}} {
			esc := hl7v2.Escape(s, dd)
			if strings.ContainsAny(esc, "\r\n"+string(dd.Field)+string(dd.Component)+string(dd.Repetition)+string(dd.SubComponent)) {
				t.Errorf("Escape(%q) = %q still holds a delimiter", s, esc)
			}
			if dd.Truncation != 0 && strings.IndexByte(esc, dd.Truncation) >= 0 {
				t.Errorf("Escape(%q) = %q still holds the truncation character", s, esc)
			}
			if got := hl7v2.Unescape(esc, dd); got != s {
				t.Errorf("Unescape(Escape(%q)) = %q", s, got)
			}
		}
	}
	runs := hl7v2.FormatText(`Hb \H\low\N\\.br\see \F\ note`, d)
	want := []hl7v2.TextRun{{Text: "Hb "}, {Escape: "H"}, {Text: "low"}, {Escape: "N"}, {Escape: ".br"}, {Text: "see | note"}}
	if len(runs) != len(want) {
		t.Fatalf("FormatText = %+v", runs)
	}
	for i := range runs {
		if runs[i] != want[i] {
			t.Errorf("run %d = %+v, want %+v", i, runs[i], want[i])
		}
	}
}

func TestFieldAccess(t *testing.T) {
	t.Parallel()
	m, err := hl7v2.Parse([]byte("MSH|^~\\&#|HIS|HOSP|LIS|LAB|20240102030405.1234+0800||ORU^R01^ORU_R01|C1|P|2.8|||||CHN|UNICODE UTF-8\r" +
		"PID|1||110101199003070011^^^&2.16.156.10011.1.3&ISO^RRN~MZ001^^^HOSP^MR||王^小东^^^^^L^I~Wang^Xiaodong^^^^^L^P||19900307|M|||朝阳路1号^^北京^北京^100000^CHN^H||^PRN^PH^^86^10^12345678~^NET^Internet^a@b.cn\r" +
		"PV1|1|I|W3^301^2^HOSP||||1234^李^医生^^^^^^HOSP\r" +
		"OBX|1|SN|2345-7^Glucose^LN||>^10|mmol/L^^UCUM|||||F|||20240102\r" +
		"OBX|2|NM|X^Y||\"\"|||||||\r" +
		"ZPI|custom|data\r"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Delims.Truncation != '#' || m.Charset != hl7v2.CharsetUTF8 || m.Version() != "2.8" {
		t.Errorf("delims %+v charset %q version %q", m.Delims, m.Charset, m.Version())
	}
	msh := hl7v2.MSH{Segment: m.Header()}
	if msh.FieldSeparator().String() != "|" || msh.EncodingCharacters().String() != "^~\\&#" || msh.SendingApplication().NamespaceID != "HIS" {
		t.Errorf("MSH-1/2/3 wrong")
	}
	ts, err := msh.DateTimeOfMessage().DateTime()
	if err != nil || ts.Precision != hl7v2.PrecisionMillisecond || !ts.HasZone || ts.Nanosecond() != 123400000 {
		t.Errorf("MSH-7 = %+v, %v", ts, err)
	}
	pid := hl7v2.PID{Segment: m.Segment("PID")}
	ids := pid.PatientIdentifierList()
	if len(ids) != 2 || ids[0].IDNumber != "110101199003070011" || ids[0].AssigningAuthority.UniversalID != "2.16.156.10011.1.3" || ids[0].IdentifierTypeCode != "RRN" || ids[1].AssigningAuthority.NamespaceID != "HOSP" {
		t.Errorf("PID-3 = %+v", ids)
	}
	names := pid.PatientName()
	if len(names) != 2 || names[0].Family != "王" || names[0].Given != "小东" || names[0].NameRepresentationCode != "I" || names[1].Family != "Wang" {
		t.Errorf("PID-5 = %+v", names)
	}
	dob, err := pid.DateTimeOfBirth().DateTime()
	if err != nil || dob.Precision != hl7v2.PrecisionDay || dob.HasZone || dob.Location() != hl7v2.DefaultZone {
		t.Errorf("PID-7 = %+v %v", dob, err)
	}
	if a := pid.PatientAddress(); len(a) != 1 || a[0].Street != "朝阳路1号" || a[0].City != "北京" || a[0].Zip != "100000" {
		t.Errorf("PID-11 = %+v", a)
	}
	if tel := pid.PhoneNumberHome(); len(tel) != 2 || tel[0].LocalNumber != "12345678" || tel[1].Email != "a@b.cn" {
		t.Errorf("PID-13 = %+v", tel)
	}
	if sex := pid.AdministrativeSex(); sex.Identifier != "M" {
		t.Errorf("PID-8 = %+v", sex)
	}
	pv1 := hl7v2.PV1{Segment: m.Segment("PV1")}
	if loc := pv1.AssignedPatientLocation(); loc.PointOfCare != "W3" || loc.Room != "301" || loc.Bed != "2" || loc.Facility.NamespaceID != "HOSP" {
		t.Errorf("PV1-3 = %+v", loc)
	}
	if doc := pv1.AttendingDoctor(); len(doc) != 1 || doc[0].IDNumber != "1234" || doc[0].Family != "李" || doc[0].AssigningAuthority.NamespaceID != "HOSP" {
		t.Errorf("PV1-7 = %+v", doc)
	}
	obx := hl7v2.OBX{Segment: m.All("OBX")[0]}
	sn := hl7v2.ParseSN(obx.ObservationValue().Repetition(1))
	if sn.Comparator != ">" || sn.Num1 != "10" {
		t.Errorf("OBX-5 SN = %+v", sn)
	}
	if u := obx.Units(); u.Identifier != "mmol/L" || u.CodingSystem != "UCUM" {
		t.Errorf("OBX-6 = %+v", u)
	}
	if !m.All("OBX")[1].Field(5).IsNull() {
		t.Errorf("OBX-5 \"\" not null")
	}
	z := m.Segment("ZPI")
	if z.Field(2).String() != "data" || z.Len() != 2 {
		t.Errorf("ZPI = %q", z.String())
	}
	if (hl7v2.PID{}).PatientName() != nil {
		t.Errorf("nil segment accessor returned data")
	}
	if name, typ, rep, ok := hl7v2.FieldInfo("PID", 3); !ok || name != "Patient Identifier List" || typ != "CX" || !rep {
		t.Errorf("FieldInfo = %q %q %v %v", name, typ, rep, ok)
	}
}

func TestParseDateTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Time
		prec    hl7v2.Precision
		hasZone bool
	}{
		{"2024", time.Date(2024, 1, 1, 0, 0, 0, 0, hl7v2.DefaultZone), hl7v2.PrecisionYear, false},
		{"202402", time.Date(2024, 2, 1, 0, 0, 0, 0, hl7v2.DefaultZone), hl7v2.PrecisionMonth, false},
		{"20240229", time.Date(2024, 2, 29, 0, 0, 0, 0, hl7v2.DefaultZone), hl7v2.PrecisionDay, false},
		{"2024022913", time.Date(2024, 2, 29, 13, 0, 0, 0, hl7v2.DefaultZone), hl7v2.PrecisionHour, false},
		{"202402291330", time.Date(2024, 2, 29, 13, 30, 0, 0, hl7v2.DefaultZone), hl7v2.PrecisionMinute, false},
		{"20240229133005", time.Date(2024, 2, 29, 13, 30, 5, 0, hl7v2.DefaultZone), hl7v2.PrecisionSecond, false},
		{"20240229133005.5", time.Date(2024, 2, 29, 13, 30, 5, 5e8, hl7v2.DefaultZone), hl7v2.PrecisionMillisecond, false},
		{"20240229133005-0500", time.Date(2024, 2, 29, 18, 30, 5, 0, time.UTC), hl7v2.PrecisionSecond, true},
		{"200501100455+0700", time.Date(2005, 1, 9, 21, 55, 0, 0, time.UTC), hl7v2.PrecisionMinute, true},
	}
	for _, tc := range tests {
		got, err := hl7v2.ParseDateTime(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if !got.Equal(tc.want) || got.Precision != tc.prec || got.HasZone != tc.hasZone {
			t.Errorf("%s = %v %v %v, want %v %v %v", tc.in, got.Time, got.Precision, got.HasZone, tc.want, tc.prec, tc.hasZone)
		}
	}
	for _, bad := range []string{"", "20", "20241301", "20230229", "2024010112+08", "20240101.5", "abcd", "2024010112000.12345"} {
		if _, err := hl7v2.ParseDateTime(bad); err == nil {
			t.Errorf("ParseDateTime(%q) succeeded", bad)
		}
	}
	if got := hl7v2.FormatTS(time.Date(2024, 1, 2, 3, 4, 5, 0, hl7v2.DefaultZone), hl7v2.PrecisionSecond); got != "20240102030405+0800" {
		t.Errorf("FormatTS = %q", got)
	}
}

func TestACK(t *testing.T) {
	t.Parallel()
	when := time.Date(2024, 1, 1, 12, 0, 0, 0, hl7v2.DefaultZone)
	tests := []struct {
		name    string
		req     string
		charset string
		opts    hl7v2.AckOptions
		want    string
	}{
		{"AA 2.5.1", "MSH|^~\\&|HIS|HOSP|HUB|CTR|20240101||ADT^A01^ADT_A01|M1|P|2.5.1\r", "",
			hl7v2.AckOptions{ControlID: "A1", Time: when},
			"MSH|^~\\&|HUB|CTR|HIS|HOSP|20240101120000+0800||ACK^A01^ACK|A1|P|2.5.1\rMSA|AA|M1\r"},
		{"AR v2.3 ERR-1 only", "MSH|^~\\&|HIS|HOSP|HUB|CTR|20240101||ADT^A04|M2|P|2.3\r", "",
			hl7v2.AckOptions{Code: hl7v2.AckReject, ControlID: "A2", Time: when, Text: "bad | msg",
				Errors: []hl7v2.ErrorDetail{{Segment: "PID", Sequence: 1, Field: 3, Code: "101"}}},
			"MSH|^~\\&|HUB|CTR|HIS|HOSP|20240101120000+0800||ACK^A04|A2|P|2.3\rMSA|AR|M2|bad \\F\\ msg\rERR|PID^1^3^101&Required field missing&HL70357\r"},
		{"CE enhanced 2.8, no ERR-1", "MSH|^~\\&|HIS|HOSP|HUB|CTR|20240101||ORU^R01^ORU_R01|M3|P|2.8|||AL|NE\r", "",
			hl7v2.AckOptions{Code: hl7v2.AckCommitError, ControlID: "A3", Time: when,
				Errors: []hl7v2.ErrorDetail{{Segment: "OBX", Sequence: 2, Field: 5, Component: 1, Code: "102", Severity: "W", Message: "value ^ odd"}}},
			"MSH|^~\\&|HUB|CTR|HIS|HOSP|20240101120000+0800||ACK^R01^ACK|A3|P|2.8\rMSA|CE|M3\rERR||OBX^2^5^^1|102^Data type error^HL70357|W||||value \\S\\ odd\r"},
		{"GBK request, GBK ACK", "MSH|^~\\&|HIS|县医院|HUB|CTR|20240101||ADT^A01^ADT_A01|M4|P|2.5.1|||||CHN|GBK\r", "GBK",
			hl7v2.AckOptions{ControlID: "A4", Time: when, Text: "已接收 王珅"},
			"MSH|^~\\&|HUB|CTR|HIS|县医院|20240101120000+0800||ACK^A01^ACK|A4|P|2.5.1|||||CHN|GBK\rMSA|AA|M4|已接收 王珅\r"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			raw := []byte(tc.req)
			if tc.charset == "GBK" {
				raw = gbkBytes(t, tc.req)
			}
			req, err := hl7v2.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			ack, err := hl7v2.NewACK(req, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if ack.String() != tc.want {
				t.Errorf("ACK =\n%q\nwant\n%q", ack.String(), tc.want)
			}
			b, err := ack.Encode()
			if err != nil {
				t.Fatal(err)
			}
			want := []byte(tc.want)
			if tc.charset == "GBK" {
				want = gbkBytes(t, tc.want)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("encoded ACK differs: % X", b)
			}
			back, err := hl7v2.Parse(b)
			if err != nil || back.String() != tc.want {
				t.Errorf("ACK does not parse back: %v", err)
			}
		})
	}
	if _, err := hl7v2.NewACK(&hl7v2.Message{}, hl7v2.AckOptions{}); err == nil {
		t.Errorf("ACK of an empty message succeeded")
	}
	if _, err := hl7v2.Parse([]byte("MSH|^~\\&|A\r")); err != nil {
		t.Fatal(err)
	}
	d := hl7v2.ErrorDetailFrom(&hl7v2.SyntaxError{Msg: "x", SegmentName: "PID", Sequence: 1, Field: 7})
	if d.Segment != "PID" || d.Field != 7 || d.Code != "102" {
		t.Errorf("ErrorDetailFrom = %+v", d)
	}
}

// TestCorpusStructures groups every corpus message whose structure is
// defined and checks that grouping keeps all segments in order.
func TestCorpusStructures(t *testing.T) {
	t.Parallel()
	for _, path := range corpusFiles(t) {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			m, err := hl7v2.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			root, err := hl7v2.Structure(m)
			if errors.Is(err, hl7v2.ErrUnknownStructure) {
				t.Skipf("no structure definition for %s", hl7v2.StructureName(m))
			}
			if err != nil {
				t.Fatal(err)
			}
			var flat []*hl7v2.Segment
			var walk func(g *hl7v2.Group)
			walk = func(g *hl7v2.Group) {
				for _, it := range g.Items {
					if it.Segment != nil {
						flat = append(flat, it.Segment)
					} else {
						walk(it.Group)
					}
				}
			}
			walk(root)
			if len(flat) != len(m.Segments) {
				t.Fatalf("grouping holds %d segments, message %d", len(flat), len(m.Segments))
			}
			for i := range flat {
				if flat[i] != m.Segments[i] {
					t.Fatalf("segment %d out of order", i+1)
				}
			}
			if len(root.Unexpected) > 0 {
				var names []string
				for _, s := range root.Unexpected {
					names = append(names, s.Name())
				}
				t.Logf("%s: unexpected at top level: %v", hl7v2.StructureName(m), names)
			}
			switch code, _, _ := m.Type(); code {
			case "ORU", "OUL", "ORM", "OML":
				groups := root.Find("ORDER_OBSERVATION")
				groups = append(groups, root.Find("ORDER")...)
				if n := len(m.All("OBR")); len(groups) < n {
					t.Errorf("%d order groups for %d OBR", len(groups), n)
				}
				for _, g := range root.Find("OBSERVATION") {
					if g.Segment("OBX") == nil {
						t.Errorf("OBSERVATION without OBX")
					}
				}
			}
		})
	}
}

func TestORUStructure(t *testing.T) {
	t.Parallel()
	m, err := hl7v2.Parse([]byte("MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.3\r" + // v2.3: no MSH-9.3
		"PID|1||X\rPV1|1|O\r" +
		"ORC|RE|P1\rOBR|1|P1||CBC\rNTE|1||order note\rOBX|1|NM|WBC||6\rZBX|local\rNTE|1||obs note\rOBX|2|NM|RBC||4\r" +
		"OBR|2|P2||LFT\rOBX|1|NM|ALT||30\rNTE|1||n1\rNTE|2||n2\r"))
	if err != nil {
		t.Fatal(err)
	}
	root, err := hl7v2.Structure(m)
	if err != nil {
		t.Fatal(err)
	}
	pr := root.Groups("PATIENT_RESULT")
	if len(pr) != 1 || pr[0].Group("PATIENT").Segment("PID") == nil || pr[0].Group("PATIENT").Group("VISIT").Segment("PV1") == nil {
		t.Fatalf("PATIENT_RESULT/PATIENT/VISIT not found")
	}
	orders := pr[0].Groups("ORDER_OBSERVATION")
	if len(orders) != 2 {
		t.Fatalf("%d ORDER_OBSERVATION, want 2", len(orders))
	}
	if orders[0].Segment("ORC") == nil || len(orders[0].Segments("NTE")) != 1 {
		t.Errorf("first order lacks ORC or its NTE")
	}
	obs := orders[0].Groups("OBSERVATION")
	if len(obs) != 2 || len(obs[0].Segments("NTE")) != 1 || len(obs[0].Unexpected) != 1 || obs[0].Unexpected[0].Name() != "ZBX" {
		t.Errorf("first order observations wrong: %d", len(obs))
	}
	obs2 := orders[1].Groups("OBSERVATION")
	if len(obs2) != 1 || len(obs2[0].Segments("NTE")) != 2 {
		t.Errorf("second order observation wrong")
	}
}
