package quality

import (
	"math"
	"math/cmplx"
)

// powerSpectrum returns |X(k)|² for k = 0..N/2 of the Hann-windowed,
// mean-removed x zero-padded to a power of two N, and the bin width in Hz.
func powerSpectrum(x []float64, fs float64) ([]float64, float64) {
	n := 1
	for n < len(x) {
		n <<= 1
	}
	buf := make([]complex128, n)
	var m float64
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	for i, v := range x {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(max(1, len(x)-1)))
		buf[i] = complex((v-m)*w, 0)
	}
	fft(buf)
	p := make([]float64, n/2+1)
	for k := range p {
		a := cmplx.Abs(buf[k])
		p[k] = a * a
	}
	return p, fs / float64(n)
}

// fft is an in-place iterative radix-2 Cooley–Tukey transform; len(a) must
// be a power of two.
func fft(a []complex128) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j ^= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		w := cmplx.Exp(complex(0, -2*math.Pi/float64(size)))
		for start := 0; start < n; start += size {
			wk := complex(1, 0)
			for k := range size / 2 {
				u, v := a[start+k], a[start+k+size/2]*wk
				a[start+k], a[start+k+size/2] = u+v, u-v
				wk *= w
			}
		}
	}
}

// bandPower sums p over [lo, hi) Hz.
func bandPower(p []float64, df, lo, hi float64) float64 {
	var s float64
	for k := max(0, int(math.Ceil(lo/df))); k < len(p) && float64(k)*df < hi; k++ {
		s += p[k]
	}
	return s
}
