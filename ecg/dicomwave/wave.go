package dicomwave

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"yigong/ecg"
)

// MaxSize caps a DICOM waveform file (and an inflated deflated data set):
// 512 MiB, room for a 24-hour ambulatory ECG.
const MaxSize = 512 << 20

// maxTotalSamples caps the samples of one multiplex group (512 MB of float64).
const maxTotalSamples = 1 << 26

// Group is one multiplex group of the Waveform Sequence (5400,0100).
type Group struct {
	Label string
	// Originality is ORIGINAL or DERIVED (003A,0004).
	Originality string
	SampleRate  float64
	// TimeOffset is the Multiplex Group Time Offset (0018,1068).
	TimeOffset time.Duration
	// Leads holds each channel, in µV when the channel's sensitivity
	// units are a voltage, otherwise in its own units (see Units).
	Leads []ecg.Lead
	Units []string
}

// Read reads a whole DICOM file from r (at most [MaxSize] bytes).
func Read(r io.Reader) (*ecg.Record, error) {
	b, err := ecg.ReadAll(r, MaxSize)
	if err != nil {
		return nil, fmt.Errorf("dicomwave: %w", err)
	}
	return Decode(b)
}

// Decode decodes a DICOM ECG waveform file held in b: the first ORIGINAL
// multiplex group is the rhythm, the first DERIVED group the median beat.
func Decode(b []byte) (*ecg.Record, error) {
	ds, groups, err := parse(b)
	if err != nil {
		return nil, err
	}
	rec := &ecg.Record{Format: ecg.FormatDICOM}
	rhythm := 0
	for i := range groups {
		g := &groups[i]
		switch {
		case rec.Leads == nil && g.Originality != "DERIVED":
			rec.SampleRate, rec.Leads = g.SampleRate, g.Leads
			rhythm = i + 1
		case rec.Median == nil && g.Originality == "DERIVED":
			rec.MedianSampleRate, rec.Median = g.SampleRate, g.Leads
		}
	}
	if rec.Leads == nil {
		return nil, errors.New("dicomwave: no ORIGINAL multiplex group")
	}
	demographics(ds, rec)
	annotations(ds, rec, rhythm)
	return rec, nil
}

// Groups returns every multiplex group of the file.
func Groups(b []byte) ([]Group, error) {
	_, g, err := parse(b)
	return g, err
}

func parse(b []byte) (*dataset, []Group, error) {
	if len(b) > MaxSize {
		return nil, nil, fmt.Errorf("dicomwave: %w: %d bytes", ecg.ErrTooLarge, len(b))
	}
	ds, err := parseFile(b, MaxSize)
	if err != nil {
		return nil, nil, fmt.Errorf("dicomwave: %w", err)
	}
	items := ds.seq(0x54000100)
	if len(items) == 0 {
		return nil, nil, errors.New("dicomwave: no Waveform Sequence (5400,0100)")
	}
	var groups []Group
	for i, it := range items {
		g, err := group(it)
		if err != nil {
			return nil, nil, fmt.Errorf("dicomwave: multiplex group %d: %w", i+1, err)
		}
		groups = append(groups, g)
	}
	return ds, groups, nil
}

func group(it *dataset) (Group, error) {
	g := Group{Label: it.str(0x003A0020), Originality: strings.TrimSpace(it.str(0x003A0004))}
	nch, ok := it.u16(0x003A0005)
	if !ok || nch == 0 {
		return g, errors.New("no Number of Waveform Channels (003A,0005)")
	}
	ns, ok := it.u32(0x003A0010)
	if !ok {
		return g, errors.New("no Number of Waveform Samples (003A,0010)")
	}
	if g.SampleRate, ok = it.float(0x003A001A); !ok || !(g.SampleRate > 0 && g.SampleRate < 1e7) {
		return g, errors.New("bad Sampling Frequency (003A,001A)")
	}
	if off, ok := it.float(0x00181068); ok {
		g.TimeOffset = time.Duration(off * float64(time.Second))
	}
	bits, _ := it.u16(0x54001004)
	interp := strings.TrimSpace(it.str(0x54001006))
	data := it.get(0x54001010)
	if data == nil {
		return g, errors.New("no Waveform Data (5400,1010)")
	}
	size := bits / 8
	switch {
	case bits == 8 && (interp == "SB" || interp == "UB" || interp == "MB" || interp == "AB"):
	case bits == 16 && (interp == "SS" || interp == "US"):
	case bits == 32 && (interp == "SL" || interp == "UL"):
	default:
		return g, fmt.Errorf("%d bits allocated, interpretation %q: %w", bits, interp, errors.ErrUnsupported)
	}
	if int64(len(data.value)) < ns*int64(nch)*int64(size) {
		return g, fmt.Errorf("waveform data of %d bytes is shorter than %d samples × %d channels × %d bytes", len(data.value), ns, nch, size)
	}
	if ns*int64(nch) > maxTotalSamples {
		return g, fmt.Errorf("%d samples × %d channels exceeds %d samples", ns, nch, maxTotalSamples)
	}
	defs := it.seq(0x003A0200)
	if len(defs) != nch {
		return g, fmt.Errorf("%d channel definitions for %d channels", len(defs), nch)
	}
	raw := data.value
	// Waveform Padding Value (5400,100A), PS3.3 C.10.9.1.4.4: samples equal
	// to it carry no signal. A run of padding at the end of every channel is
	// cut off (carts pad a median beat to an even length); padding values
	// elsewhere are kept as samples, since some carts declare a padding
	// value of 0 that also occurs as a real sample.
	var pad []byte
	if p := it.get(0x5400100A); p != nil && len(p.value) >= int(size) {
		pad = p.value[:size]
	}
	isPad := func(off int64) bool { return pad != nil && string(raw[off:off+int64(size)]) == string(pad) }
	keep := ns
	if pad != nil {
	trim:
		for keep > 0 {
			for c := range int64(nch) {
				if !isPad(((keep-1)*int64(nch) + c) * int64(size)) {
					break trim
				}
			}
			keep--
		}
	}
	for c, d := range defs {
		name := channelName(d, c)
		sens, ok := d.float(0x003A0210)
		if !ok || sens == 0 {
			sens = 1
		}
		corr, ok := d.float(0x003A0212)
		if !ok || corr == 0 {
			corr = 1
		}
		base, _ := d.float(0x003A0213)
		unit := ""
		if u := d.seq(0x003A0211); len(u) > 0 {
			unit = u[0].str(0x00080100)
		}
		k, isVolt := microvolts(unit)
		if isVolt {
			g.Units = append(g.Units, "uV")
		} else {
			k = 1
			g.Units = append(g.Units, unit)
		}
		v := make([]float64, keep)
		for s := range keep {
			off := (s*int64(nch) + int64(c)) * int64(size)
			var x float64
			switch interp {
			case "SB":
				x = float64(int8(raw[off]))
			case "UB":
				x = float64(raw[off])
			case "MB":
				x = float64(ulaw(raw[off]))
			case "AB":
				x = float64(alaw(raw[off]))
			case "SS":
				x = float64(int16(binary.LittleEndian.Uint16(raw[off:])))
			case "US":
				x = float64(binary.LittleEndian.Uint16(raw[off:]))
			case "SL":
				x = float64(int32(binary.LittleEndian.Uint32(raw[off:])))
			case "UL":
				x = float64(binary.LittleEndian.Uint32(raw[off:]))
			}
			// PS3.3 C.10.9.1.4.3: one unit of the sample is Channel
			// Sensitivity × Correction Factor in the sensitivity units;
			// Channel Baseline is an offset in those units.
			v[s] = (x*sens*corr + base) * k
		}
		g.Leads = append(g.Leads, ecg.Lead{Name: name, Samples: v})
	}
	return g, nil
}

func microvolts(unit string) (float64, bool) {
	switch unit {
	case "uV":
		return 1, true
	case "mV":
		return 1000, true
	case "nV":
		return 1e-3, true
	case "V":
		return 1e6, true
	}
	return 0, false
}

// channelName names a channel from its Channel Source Sequence: MDC codes
// "2:n" (and SCP-ECG scheme codes "5.6.3-9-n") share the lead numbering of
// [ecg.LeadFromCode]; otherwise the code meaning or the channel label.
func channelName(d *dataset, c int) string {
	if src := d.seq(0x003A0208); len(src) > 0 {
		s := src[0]
		code, scheme := s.str(0x00080100), s.str(0x00080102)
		var n string
		switch scheme {
		case "MDC":
			n = strings.TrimPrefix(code, "2:")
		case "SCPECG":
			n = strings.TrimPrefix(code, "5.6.3-9-")
		}
		if v, err := strconv.Atoi(n); err == nil && n != code {
			if name, ok := ecg.LeadFromCode(v); ok {
				return name
			}
		}
		if m := s.str(0x00080104); m != "" {
			return ecg.NormalizeLeadName(m)
		}
	}
	if l := d.str(0x003A0203); l != "" {
		return ecg.NormalizeLeadName(l)
	}
	return fmt.Sprintf("channel %d", c+1)
}

// ulaw and alaw expand G.711 8-bit samples (MB and AB interpretations).
func ulaw(b byte) int16 {
	u := ^b
	t := (int16(u&0x0f)<<3 + 0x84) << ((u & 0x70) >> 4)
	if u&0x80 != 0 {
		return 0x84 - t
	}
	return t - 0x84
}

func alaw(b byte) int16 {
	a := b ^ 0x55
	t := int16(a&0x0f) << 4
	seg := (a & 0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return t
	}
	return -t
}

// text decodes a string value: UTF-8 as is, anything else as ISO 8859-1.
// Other character sets (GB18030, ISO 2022) wait for the rebase onto dicom/.
func text(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	r := make([]rune, len(s))
	for i := range len(s) {
		r[i] = rune(s[i])
	}
	return string(r)
}

var cst = time.FixedZone("CST", 8*3600)

func demographics(ds *dataset, rec *ecg.Record) {
	p := &rec.Patient
	p.ID = text(ds.str(0x00100020))
	if n := text(ds.str(0x00100010)); n != "" {
		alpha, _, _ := strings.Cut(n, "=")
		fam, given, _ := strings.Cut(alpha, "^")
		given, _, _ = strings.Cut(given, "^")
		p.FamilyName, p.GivenName = fam, given
		if given == "" {
			p.Name = fam
		}
	}
	if t, err := time.ParseInLocation("20060102", ds.str(0x00100030), cst); err == nil {
		p.BirthDate = t
	}
	switch ds.str(0x00100040) {
	case "M":
		p.Sex = ecg.SexMale
	case "F":
		p.Sex = ecg.SexFemale
	case "O":
		p.Sex = ecg.SexUnspecified
	}
	if as := ds.str(0x00101010); len(as) == 4 {
		if v, err := strconv.Atoi(as[:3]); err == nil {
			unit := map[byte]string{'Y': "a", 'M': "mo", 'W': "wk", 'D': "d"}[as[3]]
			p.Age = ecg.Quantity{Value: float64(v), Unit: unit}
		}
	}
	if h, ok := ds.float(0x00101020); ok {
		p.HeightCM = h * 100
	}
	if w, ok := ds.float(0x00101030); ok {
		p.WeightKG = w
	}
	d := &rec.Device
	d.Manufacturer = text(ds.str(0x00080070))
	d.Model = text(ds.str(0x00081090))
	d.Serial = text(ds.str(0x00181000))
	d.Software = text(ds.str(0x00181020))
	d.Institution = text(ds.str(0x00080080))
	rec.Start = acquisitionTime(ds)
}

// acquisitionTime is Acquisition DateTime (0008,002A), else Acquisition
// Date and Time, else Content Date and Time; local times are +08:00.
func acquisitionTime(ds *dataset) time.Time {
	if dt := ds.str(0x0008002A); len(dt) >= 14 {
		if t, err := parseDT(dt); err == nil {
			return t
		}
	}
	for _, pair := range [][2]tag{{0x00080022, 0x00080032}, {0x00080023, 0x00080033}} {
		d, tm := ds.str(pair[0]), ds.str(pair[1])
		if len(d) == 8 && len(tm) >= 6 {
			if t, err := parseDT(d + tm); err == nil {
				return t
			}
		}
	}
	return time.Time{}
}

func parseDT(s string) (time.Time, error) {
	zone := cst
	if i := strings.LastIndexAny(s, "+-"); i >= 14 && len(s)-i == 5 {
		h, e1 := strconv.Atoi(s[i+1 : i+3])
		m, e2 := strconv.Atoi(s[i+3:])
		if e1 == nil && e2 == nil {
			off := (h*60 + m) * 60
			if s[i] == '-' {
				off = -off
			}
			zone = time.FixedZone("", off)
		}
		s = s[:i]
	}
	frac := ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s, frac = s[:i], s[i+1:]
	}
	t, err := time.ParseInLocation("20060102150405", s, zone)
	if err != nil {
		return t, err
	}
	if frac != "" && len(frac) <= 6 {
		if us, err := strconv.Atoi(frac + strings.Repeat("0", 6-len(frac))); err == nil {
			t = t.Add(time.Duration(us) * time.Microsecond)
		}
	}
	return t, nil
}
