package analysis_test

import (
	"math"
	"testing"

	"yigong/ecg"
	"yigong/ecg/analysis"
)

func TestQTc(t *testing.T) {
	tests := []struct {
		formula  string
		qt, rr   float64
		want     float64
		wantFail bool
	}{
		{ecg.Bazett, 400, 1000, 400, false},
		{ecg.Bazett, 360, 640, 450, false},
		{ecg.Fridericia, 400, 512, 500, false},
		{ecg.Hodges, 400, 750, 435, false},       // HR 80: 400 + 1.75·20
		{ecg.Framingham, 400, 750, 438.5, false}, // 400 + 154·0.25
		{"Unknown", 400, 1000, 0, true},
		{ecg.Bazett, 400, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.formula, func(t *testing.T) {
			got, ok := analysis.QTc(tt.formula, tt.qt, tt.rr)
			if ok == tt.wantFail {
				t.Fatalf("ok = %v", ok)
			}
			if math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("QTc = %v, want %v", got, tt.want)
			}
		})
	}
	if n := len(analysis.QTcAll(400, 800)); n != 4 {
		t.Errorf("QTcAll gave %d values", n)
	}
}
