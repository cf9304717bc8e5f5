package philips

import (
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"yigong/ecg"
)

// MaxSize caps a Sierra XML document: 64 MiB.
const MaxSize = 64 << 20

// maxSamples caps one lead: an hour at 1 kHz.
const maxSamples = 3600 * 1000

// maxLeads caps the channels of one document.
const maxLeads = 32

// Versions are the documentversion values this reader knows.
var Versions = []string{"1.03", "1.04", "1.04.01"}

type document struct {
	XMLName xml.Name `xml:"restingecgdata"`
	Info    struct {
		Type    string `xml:"documenttype"`
		Version string `xml:"documentversion"`
	} `xml:"documentinfo"`
	Acquisition struct {
		Date    string `xml:"date,attr"`
		Time    string `xml:"time,attr"`
		Machine struct {
			ID   string `xml:"machineid,attr"`
			Name string `xml:",chardata"`
		} `xml:"machine"`
		Institution string `xml:"acquirer>institutionname"`
		Signal      struct {
			Rate        string `xml:"samplingrate"`
			Resolution  string `xml:"signalresolution"`
			Type        string `xml:"acquisitiontype"`
			LeadSet     string `xml:"leadset"`
			Allocated   string `xml:"numberchannelsallocated"`
			Valid       string `xml:"numberchannelsvalid"`
			BitsPerSamp string `xml:"bitspersample"`
		} `xml:"signalcharacteristics"`
	} `xml:"dataacquisition"`
	Patient struct {
		ID     string `xml:"patientid"`
		Last   string `xml:"name>lastname"`
		First  string `xml:"name>firstname"`
		Middle string `xml:"name>middlename"`
		Age    struct {
			Years string `xml:"years"`
			Birth string `xml:"dateofbirth"`
		} `xml:"age"`
		Birth  string `xml:"dateofbirth"`
		Sex    string `xml:"sex"`
		Height string `xml:"height"`
		Weight string `xml:"weight"`
	} `xml:"patient>generalpatientdata"`
	Global         measurementSet `xml:"measurements>globalmeasurements"`
	Interpretation []struct {
		Measurements measurementSet `xml:"interpretationmeasurements"`
		Severity     string         `xml:"severity"`
		Statements   []struct {
			Left  string `xml:"leftstatement"`
			Right string `xml:"rightstatement"`
		} `xml:"statement"`
	} `xml:"interpretations>interpretation"`
	Parsed struct {
		Compressed   string `xml:"compressflag,attr"`
		Method       string `xml:"compressmethod,attr"`
		Compression  string `xml:"compression,attr"`
		Encoding     string `xml:"dataencoding,attr"`
		Duration     string `xml:"durationperchannel,attr"`
		Rate         string `xml:"samplespersecond,attr"`
		Labels       string `xml:"leadlabels,attr"`
		NumberOfLead string `xml:"numberofleads,attr"`
		Data         []byte `xml:",chardata"`
	} `xml:"waveforms>parsedwaveforms"`
	RepBeats struct {
		Encoding   string `xml:"dataencoding,attr"`
		Rate       string `xml:"samplespersec,attr"`
		Resolution string `xml:"resolution,attr"`
		Beats      []struct {
			Lead string `xml:"leadname,attr"`
			Data []byte `xml:",chardata"`
		} `xml:"repbeat"`
	} `xml:"waveforms>repbeats"`
}

type measurementSet struct {
	HeartRate  string `xml:"heartrate"`
	MeanVent   string `xml:"meanventrate"`
	AtrialRate string `xml:"atrialrate"`
	PR         string `xml:"meanprint"`
	QRS        string `xml:"meanqrsdur"`
	QT         string `xml:"meanqtint"`
	QTc        string `xml:"meanqtc"`
	PAxis      string `xml:"pfrontaxis"`
	QRSAxis    string `xml:"qrsfrontaxis"`
	TAxis      string `xml:"tfrontaxis"`
	MeanRR     string `xml:"meanrrint"`
}

// Read reads a whole Sierra XML document from r (at most [MaxSize] bytes)
// and decodes it.
func Read(r io.Reader) (*ecg.Record, error) {
	b, err := ecg.ReadAll(r, MaxSize)
	if err != nil {
		return nil, fmt.Errorf("philips: %w", err)
	}
	return Decode(b)
}

// Decode decodes a Sierra ECG XML document held in b.
func Decode(b []byte) (*ecg.Record, error) {
	if len(b) > MaxSize {
		return nil, fmt.Errorf("philips: %w: %d bytes", ecg.ErrTooLarge, len(b))
	}
	var doc document
	d := xml.NewDecoder(bytes.NewReader(b))
	d.CharsetReader = ecg.XMLCharsetReader
	if err := d.Decode(&doc); err != nil {
		return nil, fmt.Errorf("philips: parse XML: %w", err)
	}
	if v := strings.TrimSpace(doc.Info.Version); v != "" && !slices.Contains(Versions, v) {
		return nil, fmt.Errorf("philips: document version %q: %w", v, errors.ErrUnsupported)
	}
	rec := &ecg.Record{Format: ecg.FormatSierraXML}
	if err := waveforms(&doc, rec); err != nil {
		return nil, err
	}
	demographics(&doc, rec)
	measurements(&doc, rec)
	for _, in := range doc.Interpretation {
		if s := clean(in.Severity); s != "" {
			rec.Statements = append(rec.Statements, s)
		}
		for _, st := range in.Statements {
			l, r := clean(st.Left), clean(st.Right)
			switch {
			case l != "" && r != "":
				rec.Statements = append(rec.Statements, l+" ("+r+")")
			case l != "":
				rec.Statements = append(rec.Statements, l)
			}
		}
	}
	return rec, nil
}

var cst = time.FixedZone("CST", 8*3600)

func clean(s string) string { return strings.Join(strings.Fields(s), " ") }

func waveforms(doc *document, rec *ecg.Record) error {
	sig := doc.Acquisition.Signal
	pw := doc.Parsed
	rate, ok := ecg.ParseNumber(pw.Rate)
	if !ok {
		rate, ok = ecg.ParseNumber(sig.Rate)
	}
	if !ok || rate <= 0 || rate > 1e5 {
		return fmt.Errorf("philips: sampling rate %q", sig.Rate)
	}
	res := 5.0 // µV per unit, the PageWriter default
	if r, ok := ecg.ParseNumber(sig.Resolution); ok {
		if r <= 0 || r > 1e4 {
			return fmt.Errorf("philips: signal resolution %q", sig.Resolution)
		}
		res = r
	}
	dur, ok := ecg.ParseNumber(pw.Duration)
	if !ok || dur <= 0 {
		return fmt.Errorf("philips: parsedwaveforms durationperchannel %q", pw.Duration)
	}
	n := int(math.Round(dur * rate / 1000))
	if n <= 0 || n > maxSamples {
		return fmt.Errorf("philips: %d samples per lead", n)
	}
	if enc := strings.TrimSpace(pw.Encoding); enc != "" && !strings.EqualFold(enc, "Base64") {
		return fmt.Errorf("philips: data encoding %q: %w", enc, errors.ErrUnsupported)
	}
	raw, err := ecg.DecodeBase64(pw.Data, 4*n*maxLeads)
	if err != nil {
		return fmt.Errorf("philips: parsedwaveforms: %w", err)
	}
	method := strings.TrimSpace(pw.Method)
	if method == "" {
		method = strings.TrimSpace(pw.Compression)
	}
	var leads [][]int32
	switch {
	case strings.EqualFold(method, "XLI"):
		if leads, err = DecodeXLI(raw, n, maxLeads); err != nil {
			return fmt.Errorf("philips: parsedwaveforms: %w", err)
		}
	case method == "" || strings.EqualFold(method, "Uncompressed") || strings.EqualFold(method, "None"):
		for off := 0; off+2*n <= len(raw) && len(leads) < maxLeads; off += 2 * n {
			l := make([]int32, n)
			for k := range l {
				l[k] = int32(int16(binary.LittleEndian.Uint16(raw[off+2*k:])))
			}
			leads = append(leads, l)
		}
		if len(leads) == 0 {
			return fmt.Errorf("philips: parsedwaveforms: %d bytes, less than one lead of %d samples", len(raw), n)
		}
	default:
		return fmt.Errorf("philips: compression %q: %w", method, errors.ErrUnsupported)
	}
	names := labels(doc, len(leads))
	if len(names) < len(leads) {
		leads = leads[:len(names)]
	}
	if len(leads) >= 6 && names[0] == "I" && names[1] == "II" && names[2] == "III" && names[3] == "aVR" && names[4] == "aVL" && names[5] == "aVF" {
		restoreLimbLeads(leads)
	}
	rec.SampleRate = rate
	rec.Leads = make([]ecg.Lead, len(leads))
	for k, l := range leads {
		s := make([]float64, len(l))
		for i, v := range l {
			s[i] = float64(v) * res
		}
		rec.Leads[k] = ecg.Lead{Name: names[k], Samples: s}
	}
	median(doc, rec)
	return nil
}

// labels names the stored channels: the leadlabels attribute (1.04), else
// the standard order for the 12-lead acquisition types (1.03).
func labels(doc *document, stored int) []string {
	pw := doc.Parsed
	if f := strings.Fields(pw.Labels); len(f) > 0 {
		if v, ok := ecg.ParseNumber(pw.NumberOfLead); ok && int(v) > 0 && int(v) < len(f) {
			f = f[:int(v)]
		}
		for i := range f {
			f[i] = ecg.NormalizeLeadName(f[i])
		}
		return f
	}
	names := make([]string, stored)
	std := false
	switch strings.ToUpper(strings.TrimSpace(doc.Acquisition.Signal.Type)) {
	case "STD-12", "10-WIRE", "":
		std = true
	}
	standard := ecg.StandardLeads()
	for i := range names {
		if std && i < len(standard) {
			names[i] = standard[i]
		} else {
			names[i] = "Channel " + strconv.Itoa(i+1)
		}
	}
	return names
}

// median reads the representative beats (int16 little-endian, resolution
// µV per unit); a malformed beat set is left out, not fatal.
func median(doc *document, rec *ecg.Record) {
	rb := doc.RepBeats
	rate, ok := ecg.ParseNumber(rb.Rate)
	if !ok || rate <= 0 || rate > 1e5 || len(rb.Beats) == 0 || len(rb.Beats) > maxLeads {
		return
	}
	res, ok := ecg.ParseNumber(rb.Resolution)
	if !ok || res <= 0 {
		res = 1
	}
	var leads []ecg.Lead
	for _, b := range rb.Beats {
		raw, err := ecg.DecodeBase64(b.Data, 2*int(rate)*10)
		if err != nil || len(raw) < 2 {
			return
		}
		s := make([]float64, len(raw)/2)
		for i := range s {
			s[i] = float64(int16(binary.LittleEndian.Uint16(raw[2*i:]))) * res
		}
		leads = append(leads, ecg.Lead{Name: ecg.NormalizeLeadName(b.Lead), Samples: s})
	}
	rec.MedianSampleRate, rec.Median = rate, leads
}

func demographics(doc *document, rec *ecg.Record) {
	p := doc.Patient
	rec.Patient = ecg.Patient{
		ID:         clean(p.ID),
		FamilyName: clean(p.Last),
		GivenName:  strings.TrimSpace(clean(p.First) + " " + clean(p.Middle)),
	}
	switch strings.ToLower(clean(p.Sex)) {
	case "male", "m":
		rec.Patient.Sex = ecg.SexMale
	case "female", "f":
		rec.Patient.Sex = ecg.SexFemale
	case "unspecified", "other":
		rec.Patient.Sex = ecg.SexUnspecified
	}
	if v, ok := ecg.ParseNumber(p.Age.Years); ok && v > 0 {
		rec.Patient.Age = ecg.Quantity{Value: v, Unit: "a"}
	}
	for _, s := range []string{p.Age.Birth, p.Birth} {
		if t, err := time.ParseInLocation("2006-01-02", clean(s), cst); err == nil {
			rec.Patient.BirthDate = t
			break
		}
	}
	rec.Patient.HeightCM, _ = ecg.ParseNumber(p.Height)
	rec.Patient.WeightKG, _ = ecg.ParseNumber(p.Weight)

	a := doc.Acquisition
	if t, err := time.ParseInLocation("2006-01-02 15:04:05", clean(a.Date)+" "+clean(a.Time), cst); err == nil {
		rec.Start = t
	} else if t, err := time.ParseInLocation("2006-01-02", clean(a.Date), cst); err == nil {
		rec.Start = t
	}
	rec.Device = ecg.Device{
		Manufacturer: "Philips Medical Systems",
		Model:        clean(a.Machine.Name),
		Serial:       clean(a.Machine.ID),
		Institution:  clean(a.Institution),
	}
}

func measurements(doc *document, rec *ecg.Record) {
	sets := []measurementSet{doc.Global}
	for _, in := range doc.Interpretation {
		sets = append(sets, in.Measurements)
	}
	add := func(name ecg.MeasurementName, unit, method, code string, get func(measurementSet) string) {
		// The interpretation's values are the confirmed ones; prefer them.
		for i := len(sets) - 1; i >= 0; i-- {
			if v, ok := ecg.ParseNumber(get(sets[i])); ok {
				rec.Measurements = append(rec.Measurements, ecg.Measurement{Name: name, Value: v, Unit: unit, Method: method, Code: code, Source: "device"})
				return
			}
		}
	}
	hr := func(m measurementSet) string {
		if _, ok := ecg.ParseNumber(m.HeartRate); ok {
			return m.HeartRate
		}
		return m.MeanVent
	}
	add(ecg.HeartRate, "/min", "", "heartrate", hr)
	add(ecg.VentricularRate, "/min", "", "meanventrate", func(m measurementSet) string { return m.MeanVent })
	add(ecg.AtrialRate, "/min", "", "atrialrate", func(m measurementSet) string { return m.AtrialRate })
	add(ecg.RRInterval, "ms", "", "meanrrint", func(m measurementSet) string { return m.MeanRR })
	add(ecg.PRInterval, "ms", "", "meanprint", func(m measurementSet) string { return m.PR })
	add(ecg.QRSDuration, "ms", "", "meanqrsdur", func(m measurementSet) string { return m.QRS })
	add(ecg.QTInterval, "ms", "", "meanqtint", func(m measurementSet) string { return m.QT })
	add(ecg.QTc, "ms", ecg.UnknownQTcF, "meanqtc", func(m measurementSet) string { return m.QTc })
	add(ecg.PAxis, "deg", "", "pfrontaxis", func(m measurementSet) string { return m.PAxis })
	add(ecg.QRSAxis, "deg", "", "qrsfrontaxis", func(m measurementSet) string { return m.QRSAxis })
	add(ecg.TAxis, "deg", "", "tfrontaxis", func(m measurementSet) string { return m.TAxis })
}
