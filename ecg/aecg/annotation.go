package aecg

import (
	"strconv"
	"strings"
	"time"

	"yigong/ecg"
)

// measurementCodes maps MDC global measurement codes to the model.
var measurementCodes = map[string]ecg.MeasurementName{
	"MDC_ECG_HEART_RATE":      ecg.HeartRate,
	"MDC_ECG_TIME_PD_RR":      ecg.RRInterval,
	"MDC_ECG_TIME_PD_PP":      ecg.PPInterval,
	"MDC_ECG_TIME_PD_P":       ecg.PDuration,
	"MDC_ECG_TIME_PD_PR":      ecg.PRInterval,
	"MDC_ECG_TIME_PD_QRS":     ecg.QRSDuration,
	"MDC_ECG_TIME_PD_QT":      ecg.QTInterval,
	"MDC_ECG_TIME_PD_QTc":     ecg.QTc,
	"MDC_ECG_TIME_PD_QTcB":    ecg.QTc,
	"MDC_ECG_TIME_PD_QTcF":    ecg.QTc,
	"MDC_ECG_TIME_PD_QTcH":    ecg.QTc,
	"MDC_ECG_ANGLE_P_FRONT":   ecg.PAxis,
	"MDC_ECG_ANGLE_QRS_FRONT": ecg.QRSAxis,
	"MDC_ECG_ANGLE_T_FRONT":   ecg.TAxis,
}

var qtcMethods = map[string]string{
	"MDC_ECG_TIME_PD_QTcB": ecg.Bazett,
	"MDC_ECG_TIME_PD_QTcF": ecg.Fridericia,
	"MDC_ECG_TIME_PD_QTcH": ecg.Hodges,
}

var waveKinds = map[string]string{
	"MDC_ECG_WAVC_PWAVE":   "P",
	"MDC_ECG_WAVC_QRSWAVE": "QRS",
	"MDC_ECG_WAVC_TWAVE":   "T",
	"MDC_ECG_WAVC_UWAVE":   "U",
}

// annotationSet reads the annotations of a series: rhythm statements and
// wave boundaries become intervals, beats become beats (at the QRS onset),
// measurements outside beats become record measurements; when there are
// none, the measurements of the first beat that has them are used.
func annotationSet(as *node, rec *ecg.Record) {
	if as == nil {
		return
	}
	var beatMeas []ecg.Measurement
	found := false
	for _, c := range as.all("component") {
		a := c.child("annotation")
		if a == nil {
			continue
		}
		code := a.child("code").attr("code")
		switch {
		case code == "MDC_ECG_BEAT":
			ms := beat(a, rec)
			if beatMeas == nil {
				beatMeas = ms
			}
		default:
			found = annotation(a, rec, "") || found
			// Nested measurement groups (e.g. MDC_ECG_MEASUREMENTS).
			for _, cc := range a.all("component") {
				if sub := cc.child("annotation"); sub != nil {
					found = annotation(sub, rec, "") || found
				}
			}
		}
	}
	if !found {
		rec.Measurements = append(rec.Measurements, beatMeas...)
	}
}

// annotation handles a non-beat annotation; it reports whether it added a
// measurement.
func annotation(a *node, rec *ecg.Record, lead string) bool {
	code := a.child("code").attr("code")
	v := a.child("value")
	if m, ok := measurement(code, v); ok {
		rec.Measurements = append(rec.Measurements, m)
		return true
	}
	if code == "MDC_ECG_RHY" || strings.HasPrefix(v.attr("code"), "MDC_ECG_RHY_") {
		iv := roi(a, rec.Start)
		iv.Kind, iv.Code, iv.Lead = v.attr("code"), v.attr("code"), lead
		rec.Intervals = append(rec.Intervals, iv)
	}
	if code == "MDC_ECG_INTERPRETATION_STATEMENT" || code == "MDC_ECG_INTERPRETATION" {
		if s := v.str(); s != "" {
			rec.Statements = append(rec.Statements, s)
		}
	}
	return false
}

func measurement(code string, v *node) (ecg.Measurement, bool) {
	name, ok := measurementCodes[code]
	if !ok || v == nil {
		return ecg.Measurement{}, false
	}
	f, err := strconv.ParseFloat(v.attr("value"), 64)
	if err != nil {
		return ecg.Measurement{}, false
	}
	m := ecg.Measurement{Name: name, Value: f, Unit: v.attr("unit"), Code: code, Source: "device"}
	if name == ecg.QTc {
		m.Method = ecg.UnknownQTcF
		if q, ok := qtcMethods[code]; ok {
			m.Method = q
		}
	}
	if name == ecg.HeartRate && (m.Unit == "bpm" || m.Unit == "{beats}/min") {
		m.Unit = "/min"
	}
	return m, true
}

var beatTypes = map[string]string{
	"MDC_ECG_BEAT_NORMAL":                       "N",
	"MDC_ECG_BEAT_ABNORMAL":                     "Q",
	"MDC_ECG_BEAT_VENT_PREMATURE":               "V",
	"MDC_ECG_BEAT_SV_PREMATURE":                 "S",
	"MDC_ECG_BEAT_ATR_PREMATURE":                "A",
	"MDC_ECG_BEAT_FUSION":                       "F",
	"MDC_ECG_BEAT_PACED":                        "/",
	"MDC_ECG_BEAT_BLOCK_BUNDLE_BRANCH_LEFT":     "L",
	"MDC_ECG_BEAT_BLOCK_BUNDLE_BRANCH_RIGHT":    "R",
	"MDC_ECG_BEAT_UNKNOWN":                      "Q",
	"MDC_ECG_BEAT_ESCAPE_VENT":                  "E",
	"MDC_ECG_BEAT_ESCAPE_JUNCTIONAL":            "j",
	"MDC_ECG_BEAT_JUNCTIONAL_PREMATURE":         "J",
	"MDC_ECG_BEAT_ATR_PREMATURE_ABERRANT":       "a",
	"MDC_ECG_BEAT_SUPRAVENTRICULAR_ESCAPE":      "n",
	"MDC_ECG_BEAT_VENT_PREMATURE_FUSION_NORMAL": "F",
	"MDC_ECG_BEAT_PACED_FUSION":                 "f",
	"MDC_ECG_BEAT_ATR_ESCAPE":                   "e",
}

// beat reads an MDC_ECG_BEAT annotation: its waves become intervals, its
// QRS onset the beat time; it returns the beat's measurements.
func beat(a *node, rec *ecg.Record) []ecg.Measurement {
	code := a.child("value").attr("code")
	b := ecg.Beat{Code: code, Type: beatTypes[code], Channel: -1, Sample: -1}
	var ms []ecg.Measurement
	for _, c := range a.all("component") {
		sub := c.child("annotation")
		scode := sub.child("code").attr("code")
		v := sub.child("value")
		if m, ok := measurement(scode, v); ok {
			ms = append(ms, m)
			continue
		}
		if scode == "MDC_ECG_WAVC" {
			iv := roi(sub, rec.Start)
			iv.Code = v.attr("code")
			iv.Kind = waveKinds[iv.Code]
			if iv.Kind == "" {
				iv.Kind = iv.Code
			}
			rec.Intervals = append(rec.Intervals, iv)
			if iv.Kind == "QRS" && iv.HasStart && b.Sample < 0 {
				b.Time = iv.Start
				b.Sample = int(iv.Start.Seconds()*rec.SampleRate + 0.5)
			}
		}
	}
	if b.Sample >= 0 {
		rec.Beats = append(rec.Beats, b)
	}
	return ms
}

// roi reads the boundary of a region of interest: an absolute (IVL_TS) or
// relative (IVL_PQ, ms or s) time span.
func roi(a *node, start time.Time) ecg.Interval {
	var iv ecg.Interval
	r := a.path("support", "supportingROI")
	for _, c := range r.all("component") {
		bd := c.child("boundary")
		code := bd.child("code").attr("code")
		v := bd.child("value")
		at := func(n *node) (time.Duration, bool) {
			if n == nil {
				return 0, false
			}
			if code == "TIME_ABSOLUTE" {
				t, err := parseTS(n.attr("value"))
				if err != nil || start.IsZero() {
					return 0, false
				}
				return t.Sub(start), true
			}
			if code == "TIME_RELATIVE" {
				f, err := strconv.ParseFloat(n.attr("value"), 64)
				if err != nil {
					return 0, false
				}
				unit := time.Millisecond
				if n.attr("unit") == "s" {
					unit = time.Second
				}
				return time.Duration(f * float64(unit)), true
			}
			return 0, false
		}
		if d, ok := at(v.child("low")); ok {
			iv.Start, iv.HasStart = d, true
		}
		if d, ok := at(v.child("high")); ok {
			iv.End, iv.HasEnd = d, true
		}
		if code == "MDC_ECG_LEAD" || strings.HasPrefix(v.attr("code"), "MDC_ECG_LEAD_") {
			iv.Lead, _ = ecg.LeadFromMDC(v.attr("code"))
		}
	}
	if !iv.HasStart {
		iv.Start = iv.End
	}
	if !iv.HasEnd {
		iv.End = iv.Start
	}
	return iv
}
