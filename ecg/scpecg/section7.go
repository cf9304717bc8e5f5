package scpecg

import (
	"bytes"

	"yigong/ecg"
)

// undefined reports the SCP-ECG "no value" markers: 29999 (not computed),
// 29998 (rejected), 19999 (wave not found).
func undefined(v int) bool { return v == 29999 || v == 29998 || v == 19999 }

// parseMeasurements reads section 7 (EN 1064 §5.10): the global
// measurements of reference beat type 0 (P, QRS and T onsets and offsets,
// axes), the average RR and PP intervals, and the additional measurements
// (ventricular and atrial rate, QTc and its formula).
func parseMeasurements(b []byte, rec *ecg.Record) {
	if len(b) < 6 {
		return
	}
	add := func(name ecg.MeasurementName, v int, unit string) {
		if undefined(v) {
			return
		}
		rec.Measurements = append(rec.Measurements, ecg.Measurement{Name: name, Value: float64(v), Unit: unit, Source: "device"})
	}
	nBlocks, nSpikes := int(b[0]), int(b[1])
	rr, pp := int(le16(b[2:])), int(le16(b[4:]))
	add(ecg.RRInterval, rr, "ms")
	add(ecg.PPInterval, pp, "ms")
	p := 6
	if nBlocks > 0 && p+16 <= len(b) {
		m := b[p:]
		pOn, pOff, qOn, qOff, tOff := int(le16(m)), int(le16(m[2:])), int(le16(m[4:])), int(le16(m[6:])), int(le16(m[8:]))
		def := func(vs ...int) bool {
			for _, v := range vs {
				if undefined(v) {
					return false
				}
			}
			return true
		}
		if def(pOn, pOff) && pOff > pOn {
			add(ecg.PDuration, pOff-pOn, "ms")
		}
		if def(pOn, qOn) && qOn > pOn {
			add(ecg.PRInterval, qOn-pOn, "ms")
		}
		if def(qOn, qOff) && qOff > qOn {
			add(ecg.QRSDuration, qOff-qOn, "ms")
		}
		if def(qOn, tOff) && tOff > qOn {
			add(ecg.QTInterval, tOff-qOn, "ms")
		}
		add(ecg.PAxis, int(int16(le16(m[10:]))), "deg")
		add(ecg.QRSAxis, int(int16(le16(m[12:]))), "deg")
		add(ecg.TAxis, int(int16(le16(m[14:]))), "deg")
	}
	p += 16 * nBlocks
	// Pacemaker spikes: time and amplitude (4 bytes), then per spike
	// information (6 bytes).
	p += 4*nSpikes + 6*nSpikes
	if p+2 > len(b) {
		return
	}
	nQRS := int(le16(b[p:]))
	p += 2 + nQRS
	if p+7 > len(b) {
		return
	}
	if vr := int(le16(b[p:])); vr != 0 {
		add(ecg.VentricularRate, vr, "/min")
		add(ecg.HeartRate, vr, "/min")
	}
	if ar := int(le16(b[p+2:])); ar != 0 {
		add(ecg.AtrialRate, ar, "/min")
	}
	if qtc := int(le16(b[p+4:])); !undefined(qtc) && qtc != 0 {
		method := ecg.UnknownQTcF
		switch b[p+6] {
		case 1:
			method = ecg.Bazett
		case 2:
			method = ecg.Hodges
		}
		rec.Measurements = append(rec.Measurements, ecg.Measurement{Name: ecg.QTc, Value: float64(qtc), Unit: "ms", Method: method, Source: "device"})
	}
}

// parseStatements reads section 8 (EN 1064 §5.11): confirmation flag (1),
// date and time (7), number of statements (1), then per statement a
// sequence number (1), a length (2) and NUL-terminated text.
func parseStatements(b []byte) []string {
	if len(b) < 9 {
		return nil
	}
	n := int(b[8])
	p := 9
	var out []string
	for range n {
		if p+3 > len(b) {
			break
		}
		l := int(le16(b[p+1:]))
		p += 3
		if p+l > len(b) {
			break
		}
		if s := text(bytes.TrimRight(b[p:p+l], "\x00")); s != "" {
			out = append(out, s)
		}
		p += l
	}
	return out
}
