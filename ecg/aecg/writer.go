package aecg

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"yigong/ecg"
)

// mdcLead is the MDC_ECG_LEAD_* reference id of a conventional lead name.
func mdcLead(name string) string {
	switch name {
	case "aVR", "aVL", "aVF":
		return "MDC_ECG_LEAD_AV" + name[2:]
	}
	return "MDC_ECG_LEAD_" + name
}

// writeCodes are the MDC codes written for global measurements.
var writeCodes = map[ecg.MeasurementName]string{
	ecg.HeartRate: "MDC_ECG_HEART_RATE", ecg.RRInterval: "MDC_ECG_TIME_PD_RR", ecg.PPInterval: "MDC_ECG_TIME_PD_PP",
	ecg.PDuration: "MDC_ECG_TIME_PD_P", ecg.PRInterval: "MDC_ECG_TIME_PD_PR", ecg.QRSDuration: "MDC_ECG_TIME_PD_QRS",
	ecg.QTInterval: "MDC_ECG_TIME_PD_QT", ecg.PAxis: "MDC_ECG_ANGLE_P_FRONT", ecg.QRSAxis: "MDC_ECG_ANGLE_QRS_FRONT",
	ecg.TAxis: "MDC_ECG_ANGLE_T_FRONT",
}

var qtcCodes = map[string]string{ecg.Bazett: "MDC_ECG_TIME_PD_QTcB", ecg.Fridericia: "MDC_ECG_TIME_PD_QTcF", ecg.Hodges: "MDC_ECG_TIME_PD_QTcH", ecg.UnknownQTcF: "MDC_ECG_TIME_PD_QTc", "": "MDC_ECG_TIME_PD_QTc"}

// Marshal writes rec as an HL7 aECG document (PORT_MT020001, UTF-8):
// the rhythm as one series with a TIME_ABSOLUTE sequence and one SLIST_PQ
// sequence per lead (origin 0, scale resolutionUV µV, digits the samples
// rounded to that grid), the median beat as a derived series, the subject
// demographics, the device and the global measurements as MDC-coded
// annotations. QTc by Framingham has no MDC code and is not written.
// Samples that are multiples of resolutionUV are written exactly.
func Marshal(rec *ecg.Record, resolutionUV float64) ([]byte, error) {
	if rec == nil || len(rec.Leads) == 0 || rec.SampleRate <= 0 {
		return nil, errors.New("aecg: marshal: no rhythm leads or sample rate")
	}
	if !(resolutionUV > 0) {
		return nil, fmt.Errorf("aecg: marshal: resolution %v µV", resolutionUV)
	}
	var b bytes.Buffer
	esc := func(s string) string {
		var e bytes.Buffer
		_ = xml.EscapeText(&e, []byte(s))
		return e.String()
	}
	ts := func(t time.Time) string { return t.Format("20060102150405.000-0700") }
	start := rec.Start
	if start.IsZero() {
		start = time.Date(1970, 1, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	}
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<AnnotatedECG xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` + "\n")
	b.WriteString(` <code code="93000" codeSystem="2.16.840.1.113883.6.12"/>` + "\n")
	fmt.Fprintf(&b, " <effectiveTime><low value=%q/></effectiveTime>\n", ts(start))
	p := rec.Patient
	b.WriteString(" <componentOf><timepointEvent><componentOf><subjectAssignment><subject><trialSubject>\n")
	fmt.Fprintf(&b, "  <id extension=\"%s\"/>\n  <subjectDemographicPerson>", esc(p.ID))
	switch {
	case p.FamilyName != "" || p.GivenName != "":
		fmt.Fprintf(&b, "<name><family>%s</family><given>%s</given></name>", esc(p.FamilyName), esc(p.GivenName))
	case p.Name != "":
		fmt.Fprintf(&b, "<name>%s</name>", esc(p.Name))
	}
	if g := map[ecg.Sex]string{ecg.SexMale: "M", ecg.SexFemale: "F", ecg.SexUnspecified: "UN"}[p.Sex]; g != "" {
		fmt.Fprintf(&b, "<administrativeGenderCode code=%q codeSystem=\"2.16.840.1.113883.5.1\"/>", g)
	}
	if !p.BirthDate.IsZero() {
		fmt.Fprintf(&b, "<birthTime value=%q/>", p.BirthDate.Format("20060102"))
	}
	b.WriteString("</subjectDemographicPerson>\n </trialSubject></subject></subjectAssignment></componentOf></timepointEvent></componentOf>\n")
	b.WriteString(" <component><series>\n  <code code=\"RHYTHM\" codeSystem=\"2.16.840.1.113883.5.4\"/>\n")
	fmt.Fprintf(&b, "  <effectiveTime><low value=%q/></effectiveTime>\n", ts(start))
	d := rec.Device
	fmt.Fprintf(&b, "  <author><seriesAuthor><manufacturedSeriesDevice><id extension=\"%s\"/><manufacturerModelName>%s</manufacturerModelName><softwareName>%s</softwareName></manufacturedSeriesDevice><manufacturerOrganization><name>%s</name></manufacturerOrganization></seriesAuthor></author>\n",
		esc(d.Serial), esc(d.Model), esc(d.Software), esc(d.Manufacturer))
	writeSet := func(leads []ecg.Lead, fs float64, indent string) {
		fmt.Fprintf(&b, "%s<component><sequenceSet>\n", indent)
		fmt.Fprintf(&b, "%s <component><sequence><code code=\"TIME_ABSOLUTE\" codeSystem=\"2.16.840.1.113883.5.4\"/><value xsi:type=\"GLIST_TS\"><head value=%q/><increment value=\"%s\" unit=\"s\"/></value></sequence></component>\n",
			indent, ts(start), strconv.FormatFloat(1/fs, 'g', -1, 64))
		for _, l := range leads {
			fmt.Fprintf(&b, "%s <component><sequence><code code=%q codeSystem=\"2.16.840.1.113883.6.24\"/><value xsi:type=\"SLIST_PQ\"><origin value=\"0\" unit=\"uV\"/><scale value=\"%s\" unit=\"uV\"/><digits>",
				indent, mdcLead(l.Name), strconv.FormatFloat(resolutionUV, 'g', -1, 64))
			for i, v := range l.Samples {
				if i > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(strconv.FormatInt(int64(math.Round(v/resolutionUV)), 10))
			}
			b.WriteString("</digits></value></sequence></component>\n")
		}
		fmt.Fprintf(&b, "%s</sequenceSet></component>\n", indent)
	}
	writeSet(rec.Leads, rec.SampleRate, "  ")
	if len(rec.Median) > 0 && rec.MedianSampleRate > 0 {
		b.WriteString("  <derivation><derivedSeries><code code=\"REPRESENTATIVE_BEAT\" codeSystem=\"2.16.840.1.113883.5.4\"/>\n")
		writeSet(rec.Median, rec.MedianSampleRate, "   ")
		b.WriteString("  </derivedSeries></derivation>\n")
	}
	b.WriteString("  <subjectOf><annotationSet>\n")
	for _, m := range rec.Measurements {
		code, ok := writeCodes[m.Name]
		if m.Name == ecg.QTc {
			code, ok = qtcCodes[m.Method]
		}
		if !ok {
			continue
		}
		unit := m.Unit
		if unit == "/min" {
			unit = "bpm"
		}
		fmt.Fprintf(&b, "   <component><annotation><code code=%q codeSystem=\"2.16.840.1.113883.6.24\"/><value xsi:type=\"PQ\" value=\"%s\" unit=\"%s\"/></annotation></component>\n",
			code, strconv.FormatFloat(m.Value, 'g', -1, 64), esc(unit))
	}
	b.WriteString("  </annotationSet></subjectOf>\n </series></component>\n</AnnotatedECG>\n")
	return b.Bytes(), nil
}
