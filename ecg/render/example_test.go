package render_test

import (
	"bytes"
	"fmt"
	"strings"

	"yigong/ecg"
	"yigong/ecg/analysis"
	"yigong/ecg/render"
)

// A record is measured, checked and drawn; the header masks identity.
func ExampleSVG() {
	rec := &ecg.Record{SampleRate: 500,
		Patient: ecg.Patient{Name: "王小东", ID: "110101199003078515", Sex: ecg.SexMale}}
	for _, name := range []string{"I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6"} {
		rec.Leads = append(rec.Leads, ecg.Lead{Name: name, Samples: make([]float64, 5000)})
	}
	rep := analysis.Measure(rec)
	var b bytes.Buffer
	err := render.SVG(&b, rec, render.Options{
		Layout:       render.Layout3x4,
		Mask:         true,
		Measurements: rep.Measurements,
		Findings:     analysis.Critical(rec, rep),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	svg := b.String()
	fmt.Println(strings.Count(svg, `class="trace"`), "lead segments,", strings.Count(svg, `class="trace rhythm"`), "rhythm strip")
	fmt.Println(strings.Contains(svg, "王**"), strings.Contains(svg, "110101********8515"))
	// Output:
	// 12 lead segments, 1 rhythm strip
	// true true
}

func ExampleMaskResidentID() {
	fmt.Println(render.MaskName("王小东"), render.MaskResidentID("110101199003078515"), render.MaskPhone("13812345678"))
	// Output: 王** 110101********8515 138****5678
}
