package dicomwave

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"yigong/ecg"
)

// SOP classes and transfer syntax written by [Marshal].
const (
	TwelveLeadECGStorage  = "1.2.840.10008.5.1.4.1.1.9.1.1"
	explicitVRLittle      = "1.2.840.10008.1.2.1"
	implementationClassID = "2.25.229423867498516101385939153488126367031"
	implementationVersion = "YIGONG_ECG_1"
)

// encoder appends explicit VR little endian elements (PS3.5 §7.1.2).
type encoder struct{ b bytes.Buffer }

func (e *encoder) elem(t tag, vr string, v []byte) {
	_ = binary.Write(&e.b, binary.LittleEndian, [2]uint16{uint16(t >> 16), uint16(t)})
	e.b.WriteString(vr)
	if longVR(vr) {
		e.b.Write([]byte{0, 0})
		_ = binary.Write(&e.b, binary.LittleEndian, uint32(len(v)))
	} else {
		_ = binary.Write(&e.b, binary.LittleEndian, uint16(len(v)))
	}
	e.b.Write(v)
}

// str writes a string value padded to even length (NUL for UI, space
// otherwise; PS3.5 §6.2).
func (e *encoder) str(t tag, vr, s string) {
	if len(s)%2 == 1 {
		if vr == "UI" {
			s += "\x00"
		} else {
			s += " "
		}
	}
	e.elem(t, vr, []byte(s))
}

func (e *encoder) u16(t tag, v uint16) { e.elem(t, "US", binary.LittleEndian.AppendUint16(nil, v)) }
func (e *encoder) u32(t tag, v uint32) { e.elem(t, "UL", binary.LittleEndian.AppendUint32(nil, v)) }

// seq writes a sequence of undefined length whose items (each of
// undefined length) are written by the item functions.
func (e *encoder) seq(t tag, items ...func(*encoder)) {
	_ = binary.Write(&e.b, binary.LittleEndian, [2]uint16{uint16(t >> 16), uint16(t)})
	e.b.WriteString("SQ\x00\x00")
	_ = binary.Write(&e.b, binary.LittleEndian, uint32(0xFFFFFFFF))
	for _, it := range items {
		_ = binary.Write(&e.b, binary.LittleEndian, [4]uint16{0xFFFE, 0xE000, 0xFFFF, 0xFFFF})
		it(e)
		_ = binary.Write(&e.b, binary.LittleEndian, [4]uint16{0xFFFE, 0xE00D, 0, 0})
	}
	_ = binary.Write(&e.b, binary.LittleEndian, [4]uint16{0xFFFE, 0xE0DD, 0, 0})
}

func code(value, scheme, meaning string) func(*encoder) {
	return func(e *encoder) {
		e.str(0x00080100, "SH", value)
		e.str(0x00080102, "SH", scheme)
		e.str(0x00080104, "LO", meaning)
	}
}

// uid derives a UID under the 2.25 root (ISO/IEC 9834-8 UUID-derived
// form) from a digest, so the same record always gets the same UIDs.
func uid(digest []byte, kind byte) string {
	h := sha256.Sum256(append([]byte{kind}, digest...))
	return "2.25." + new(big.Int).SetBytes(h[:16]).String()
}

// leadCode returns the MDC/SCP-ECG lead code of a conventional name.
func leadCode(name string) (int, bool) {
	for c := 1; c < 100; c++ {
		if n, ok := ecg.LeadFromCode(c); ok && n == name {
			return c, true
		}
	}
	return 0, false
}

// measurementConcepts are the concept names written for measurements: LOINC
// where the reader knows one, else a local code with the meaning the
// reader matches.
var measurementConcepts = map[ecg.MeasurementName][3]string{
	ecg.HeartRate: {"8867-4", "LN", "Heart rate"}, ecg.PRInterval: {"8625-6", "LN", "PR interval"},
	ecg.QRSDuration: {"8633-0", "LN", "QRS duration"}, ecg.QTInterval: {"8634-8", "LN", "QT interval"},
	ecg.PAxis: {"8626-4", "LN", "P axis"}, ecg.QRSAxis: {"8632-2", "LN", "QRS axis"}, ecg.TAxis: {"8638-9", "LN", "T axis"},
	ecg.RRInterval: {"RR", "99YIGONG", "RR interval"}, ecg.PPInterval: {"PP", "99YIGONG", "PP interval"},
	ecg.PDuration: {"P", "99YIGONG", "P duration"}, ecg.VentricularRate: {"VR", "99YIGONG", "Ventricular heart rate"},
	ecg.AtrialRate: {"AR", "99YIGONG", "Atrial heart rate"},
}

// Marshal writes rec as a DICOM Part 10 file of the 12-lead ECG Waveform
// Storage SOP class (PS3.3 A.34.3) in explicit VR little endian: file meta
// group (PS3.10 §7.1), patient, study, series and equipment attributes, the
// rhythm as an ORIGINAL multiplex group and the median beat, if any, as a
// DERIVED one (16-bit signed samples, Channel Sensitivity resolutionUV µV,
// lead codes in the SCPECG scheme as PS3.16 CID 3001 does), and the
// measurements in the Waveform Annotation Sequence (QTc with its formula
// in the code meaning). Samples that are multiples of resolutionUV are
// written exactly; a sample beyond the int16 range is an error. UIDs are
// derived from the content under the 2.25 root.
func Marshal(rec *ecg.Record, resolutionUV float64) ([]byte, error) {
	if rec == nil || len(rec.Leads) == 0 || rec.SampleRate <= 0 {
		return nil, errors.New("dicomwave: marshal: no rhythm leads or sample rate")
	}
	if !(resolutionUV > 0) {
		return nil, fmt.Errorf("dicomwave: marshal: resolution %v µV", resolutionUV)
	}
	type group struct {
		leads []ecg.Lead
		fs    float64
		orig  string
	}
	groups := []group{{rec.Leads, rec.SampleRate, "ORIGINAL"}}
	if len(rec.Median) > 0 && rec.MedianSampleRate > 0 {
		groups = append(groups, group{rec.Median, rec.MedianSampleRate, "DERIVED"})
	}
	digest := sha256.New()
	data := make([][]byte, len(groups))
	for gi, g := range groups {
		ns := len(g.leads[0].Samples)
		for _, l := range g.leads {
			if len(l.Samples) != ns {
				return nil, fmt.Errorf("dicomwave: marshal: lead %s has %d samples, lead %s %d", l.Name, len(l.Samples), g.leads[0].Name, ns)
			}
		}
		buf := make([]byte, 0, 2*ns*len(g.leads))
		for s := range ns {
			for _, l := range g.leads {
				q := math.Round(l.Samples[s] / resolutionUV)
				if q < math.MinInt16 || q > math.MaxInt16 || math.IsNaN(q) {
					return nil, fmt.Errorf("dicomwave: marshal: lead %s sample %d (%v µV) exceeds 16 bits at %v µV", l.Name, s, l.Samples[s], resolutionUV)
				}
				buf = binary.LittleEndian.AppendUint16(buf, uint16(int16(q)))
			}
		}
		digest.Write(buf)
		data[gi] = buf
	}
	p := rec.Patient
	digest.Write([]byte(p.ID + "\x00" + rec.Start.String()))
	sum := digest.Sum(nil)
	sopInstance := uid(sum, 1)

	var ds encoder
	ds.str(0x00080005, "CS", "ISO_IR 192")
	ds.str(0x00080016, "UI", TwelveLeadECGStorage)
	ds.str(0x00080018, "UI", sopInstance)
	if !rec.Start.IsZero() {
		ds.str(0x00080020, "DA", rec.Start.Format("20060102"))
		ds.str(0x0008002A, "DT", rec.Start.Format("20060102150405.000000-0700"))
		ds.str(0x00080030, "TM", rec.Start.Format("150405"))
	}
	ds.str(0x00080050, "SH", "")
	ds.str(0x00080060, "CS", "ECG")
	ds.str(0x00080070, "LO", rec.Device.Manufacturer)
	if rec.Device.Institution != "" {
		ds.str(0x00080080, "LO", rec.Device.Institution)
	}
	ds.str(0x00080090, "PN", "")
	if rec.Device.Model != "" {
		ds.str(0x00081090, "LO", rec.Device.Model)
	}
	name := p.Name
	if p.FamilyName != "" || p.GivenName != "" {
		name = p.FamilyName + "^" + p.GivenName
	}
	ds.str(0x00100010, "PN", name)
	ds.str(0x00100020, "LO", p.ID)
	bd := ""
	if !p.BirthDate.IsZero() {
		bd = p.BirthDate.Format("20060102")
	}
	ds.str(0x00100030, "DA", bd)
	ds.str(0x00100040, "CS", map[ecg.Sex]string{ecg.SexMale: "M", ecg.SexFemale: "F", ecg.SexUnspecified: "O"}[p.Sex])
	if rec.Device.Serial != "" {
		ds.str(0x00181000, "LO", rec.Device.Serial)
	}
	if rec.Device.Software != "" {
		ds.str(0x00181020, "LO", rec.Device.Software)
	}
	ds.str(0x0020000D, "UI", uid(sum, 2))
	ds.str(0x0020000E, "UI", uid(sum, 3))
	ds.str(0x00200010, "SH", "")
	ds.str(0x00200011, "IS", "1")
	ds.str(0x00200013, "IS", "1")
	ds.str(0x00200020, "CS", "")
	ds.str(0x00280301, "CS", "NO") // Burned In Annotation (waveforms: PS3.3 C.7.6.1)
	var notes []func(*encoder)
	for _, m := range rec.Measurements {
		c, ok := measurementConcepts[m.Name]
		if m.Name == ecg.QTc {
			c, ok = [3]string{"8636-3", "LN", "QTc interval"}, true
			if m.Method != "" && m.Method != ecg.UnknownQTcF {
				c[2] += " (" + m.Method + ")"
			}
		}
		if !ok {
			continue
		}
		unit := m.Unit
		if unit == "/min" {
			unit = "{beats}/min"
		}
		m, c, unit := m, c, unit
		notes = append(notes, func(e *encoder) {
			e.seq(0x004008EA, code(unit, "UCUM", unit))
			e.seq(0x0040A043, code(c[0], c[1], c[2]))
			e.u16(0x0040A180, 1) // Annotation Group Number
			e.str(0x0040A30A, "DS", strconv.FormatFloat(m.Value, 'f', -1, 64))
		})
	}
	if len(notes) > 0 {
		ds.seq(0x0040B020, notes...)
	}
	var items []func(*encoder)
	for gi, g := range groups {
		items = append(items, func(e *encoder) {
			e.str(0x00181068, "DS", "0")
			e.str(0x003A0004, "CS", g.orig)
			e.u16(0x003A0005, uint16(len(g.leads)))
			e.u32(0x003A0010, uint32(len(g.leads[0].Samples)))
			e.str(0x003A001A, "DS", strconv.FormatFloat(g.fs, 'f', -1, 64))
			e.str(0x003A0020, "SH", map[string]string{"ORIGINAL": "RHYTHM", "DERIVED": "MEDIAN BEAT"}[g.orig])
			var chans []func(*encoder)
			for ci, l := range g.leads {
				chans = append(chans, func(e *encoder) {
					e.str(0x003A0202, "IS", strconv.Itoa(ci+1))
					if c, ok := leadCode(l.Name); ok {
						e.seq(0x003A0208, code("5.6.3-9-"+strconv.Itoa(c), "SCPECG", "Lead "+l.Name))
					} else {
						e.seq(0x003A0208, code(strings.ToUpper(l.Name), "99YIGONG", l.Name))
					}
					e.str(0x003A0210, "DS", strconv.FormatFloat(resolutionUV, 'f', -1, 64))
					e.seq(0x003A0211, code("uV", "UCUM", "microvolt"))
					e.str(0x003A0212, "DS", "1")
					e.str(0x003A0213, "DS", "0")
					e.u16(0x003A021A, 16)
				})
			}
			e.seq(0x003A0200, chans...)
			e.u16(0x54001004, 16)
			e.str(0x54001006, "CS", "SS")
			e.elem(0x54001010, "OW", data[gi])
		})
	}
	ds.seq(0x54000100, items...)

	var meta encoder
	meta.elem(0x00020001, "OB", []byte{0, 1})
	meta.str(0x00020002, "UI", TwelveLeadECGStorage)
	meta.str(0x00020003, "UI", sopInstance)
	meta.str(0x00020010, "UI", explicitVRLittle)
	meta.str(0x00020012, "UI", implementationClassID)
	meta.str(0x00020013, "SH", implementationVersion)
	var out bytes.Buffer
	out.Write(make([]byte, 128))
	out.WriteString("DICM")
	var gl encoder
	gl.u32(0x00020000, uint32(meta.b.Len()))
	out.Write(gl.b.Bytes())
	out.Write(meta.b.Bytes())
	out.Write(ds.b.Bytes())
	return out.Bytes(), nil
}
