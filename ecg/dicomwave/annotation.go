package dicomwave

import (
	"strings"
	"time"

	"yigong/ecg"
)

// measurementCode maps coded concept names of the Waveform Annotation
// Sequence (0040,B020) to measurements: SCP-ECG scheme codes as DICOM
// PS3.16 CID 3678/3680 use them, LOINC, and, failing those, the code
// meaning.
var measurementCodes = map[string]ecg.MeasurementName{
	"SCPECG:5.10.2.1-3": ecg.VentricularRate,
	"SCPECG:5.10.2.1-1": ecg.AtrialRate,
	"SCPECG:5.13.5-7":   ecg.PRInterval,
	"SCPECG:5.13.5-9":   ecg.QRSDuration,
	"SCPECG:5.13.5-11":  ecg.QTInterval,
	"SCPECG:5.10.2.5-5": ecg.QTc,
	"SCPECG:5.10.3-11":  ecg.PAxis,
	"SCPECG:5.10.3-13":  ecg.QRSAxis,
	"SCPECG:5.10.3-15":  ecg.TAxis,
	"LN:8867-4":         ecg.HeartRate,
	"LN:8625-6":         ecg.PRInterval,
	"LN:8633-0":         ecg.QRSDuration,
	"LN:8634-8":         ecg.QTInterval,
	"LN:8636-3":         ecg.QTc,
	"LN:8626-4":         ecg.PAxis,
	"LN:8632-2":         ecg.QRSAxis,
	"LN:8638-9":         ecg.TAxis,
}

var measurementMeanings = map[string]ecg.MeasurementName{
	"heart rate":             ecg.HeartRate,
	"ventricular heart rate": ecg.VentricularRate,
	"atrial heart rate":      ecg.AtrialRate,
	"rr interval":            ecg.RRInterval,
	"pp interval":            ecg.PPInterval,
	"p duration":             ecg.PDuration,
	"pr interval":            ecg.PRInterval,
	"qrs duration":           ecg.QRSDuration,
	"qt interval":            ecg.QTInterval,
	"qtc interval":           ecg.QTc,
	"p axis":                 ecg.PAxis,
	"qrs axis":               ecg.QRSAxis,
	"t axis":                 ecg.TAxis,
}

var units = map[string]string{"ms": "ms", "deg": "deg", "/min": "/min", "{beats}/min": "/min", "bpm": "/min"}

// annotations reads the Waveform Annotation Sequence: coded numeric
// measurements become measurements (an empty Numeric Value is "not
// measured" and is skipped), unformatted text becomes statements, and
// coded concepts at referenced sample positions become annotations.
// rhythm is the 1-based multiplex group number of the rhythm; sample
// positions referencing another group (the median beat) are marked so.
func annotations(ds *dataset, rec *ecg.Record, rhythm int) {
	for _, it := range ds.seq(0x0040B020) {
		if t := strings.TrimSpace(text(it.str(0x00700006))); t != "" {
			rec.Statements = append(rec.Statements, t)
			continue
		}
		cn := it.seq(0x0040A043)
		if len(cn) == 0 {
			continue
		}
		code := cn[0].str(0x00080100)
		scheme := cn[0].str(0x00080102)
		meaning := strings.TrimSpace(cn[0].str(0x00080104))
		if v, ok := it.float(0x0040A30A); ok {
			name, ok := measurementCodes[scheme+":"+code]
			if !ok {
				name, ok = measurementMeanings[strings.ToLower(meaning)]
			}
			if !ok {
				continue
			}
			unit := ""
			if u := it.seq(0x004008EA); len(u) > 0 {
				unit = u[0].str(0x00080100)
				if n, ok := units[unit]; ok {
					unit = n
				}
			}
			m := ecg.Measurement{Name: name, Value: v, Unit: unit, Code: scheme + ":" + code, Source: "device"}
			if name == ecg.QTc {
				m.Method = ecg.UnknownQTcF
				for _, f := range []string{ecg.Bazett, ecg.Fridericia, ecg.Hodges, ecg.Framingham} {
					if strings.Contains(strings.ToLower(meaning), strings.ToLower(f)) {
						m.Method = f
					}
				}
			}
			if strings.HasSuffix(string(name), "Axis") {
				m.Unit = "deg" // some writers label axes in ms
			}
			rec.Measurements = append(rec.Measurements, m)
			continue
		}
		// A coded concept at sample positions (e.g. a beat or wave marker).
		pos := it.get(0x0040A132)
		if pos == nil || rec.SampleRate <= 0 {
			continue
		}
		concept := meaning
		if cc := it.seq(0x0040A168); len(cc) > 0 {
			concept = strings.TrimSpace(cc[0].str(0x00080104))
		}
		if ref := it.get(0x0040A0B0); ref != nil && len(ref.value) >= 2 {
			if g := int(ref.value[0]) | int(ref.value[1])<<8; g != rhythm {
				concept = "median beat: " + concept
			}
		}
		for i := 0; i+4 <= len(pos.value); i += 4 {
			s := int(uint32(pos.value[i]) | uint32(pos.value[i+1])<<8 | uint32(pos.value[i+2])<<16 | uint32(pos.value[i+3])<<24)
			s-- // sample positions are 1-based
			rec.Annotations = append(rec.Annotations, ecg.Annotation{
				Sample: s, Time: time.Duration(float64(s) / rec.SampleRate * float64(time.Second)),
				Code: scheme + ":" + code, Text: concept, Channel: -1,
			})
		}
	}
}
