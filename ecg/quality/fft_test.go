package quality

import (
	"math"
	"math/cmplx"
	"testing"
)

// TestPowerSpectrumDFT compares the real-input FFT with a direct DFT of
// the same windowed, mean-removed, zero-padded signal.
func TestPowerSpectrumDFT(t *testing.T) {
	t.Parallel()
	for _, length := range []int{2, 3, 37, 100, 128, 1000} {
		x := make([]float64, length)
		seed := uint32(length)
		for i := range x {
			seed = seed*1664525 + 1013904223
			x[i] = float64(seed>>16)/65536*200 - 100 + 50*math.Sin(float64(i)/7)
		}
		got, df := powerSpectrum(x, 500)
		n := 2
		for n < length {
			n <<= 1
		}
		if df != 500/float64(n) || len(got) != n/2+1 {
			t.Fatalf("length %d: df %v, %d bins", length, df, len(got))
		}
		var m float64
		for _, v := range x {
			m += v
		}
		m /= float64(length)
		for k := 0; k <= n/2; k++ {
			var s complex128
			for i, v := range x {
				w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(max(1, length-1)))
				s += complex((v-m)*w, 0) * cmplx.Exp(complex(0, -2*math.Pi*float64(k*i)/float64(n)))
			}
			want := real(s)*real(s) + imag(s)*imag(s)
			if math.Abs(got[k]-want) > 1e-6*(1+want) {
				t.Fatalf("length %d bin %d: %v, want %v", length, k, got[k], want)
			}
		}
	}
}
