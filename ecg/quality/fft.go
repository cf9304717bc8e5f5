package quality

import (
	"math"
)

// spectrumPlan holds what every segment of one length shares: the Hann
// window and the twiddle factors of the transform. One plan serves all the
// leads of a record.
type spectrumPlan struct {
	length int          // segment length the window is for
	n      int          // transform length, a power of two ≥ length
	window []float64    // Hann window of length
	tw     []complex128 // exp(−2πik/n), k < n/2
	buf    []complex128 // n/2 work values
}

func newPlan(length int) *spectrumPlan {
	n := 2
	for n < length {
		n <<= 1
	}
	p := &spectrumPlan{length: length, n: n, window: make([]float64, length), tw: make([]complex128, n/2), buf: make([]complex128, n/2)}
	for i := range p.window {
		p.window[i] = 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(max(1, length-1)))
	}
	for k := range p.tw {
		s, c := math.Sincos(-2 * math.Pi * float64(k) / float64(n))
		p.tw[k] = complex(c, s)
	}
	return p
}

// powerSpectrum returns |X(k)|² for k = 0..N/2 of the Hann-windowed,
// mean-removed x zero-padded to a power of two N, and the bin width in Hz.
func powerSpectrum(x []float64, fs float64) ([]float64, float64) {
	return newPlan(len(x)).power(x, fs)
}

// power is powerSpectrum with the plan's window and twiddles; len(x) must
// be the plan's length. The real signal of length N is transformed as N/2
// complex values (even samples real, odd imaginary) and the two halves
// are separated afterwards.
func (p *spectrumPlan) power(x []float64, fs float64) ([]float64, float64) {
	n, h := p.n, p.n/2
	var m float64
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	z := p.buf
	clear(z)
	for i := 0; i < len(x); i += 2 {
		re := (x[i] - m) * p.window[i]
		var im float64
		if i+1 < len(x) {
			im = (x[i+1] - m) * p.window[i+1]
		}
		z[i/2] = complex(re, im)
	}
	p.fft(z)
	out := make([]float64, h+1)
	for k := 0; k <= h; k++ {
		zk := z[k%h]
		zc := z[(h-k)%h]
		zc = complex(real(zc), -imag(zc))
		even := (zk + zc) / 2
		odd := (zk - zc) / complex(0, 2)
		var w complex128
		if k < h {
			w = p.tw[k]
		} else {
			w = -1
		}
		xk := even + w*odd
		out[k] = real(xk)*real(xk) + imag(xk)*imag(xk)
	}
	return out, fs / float64(n)
}

// fft is an in-place iterative radix-2 Cooley–Tukey transform of the n/2
// values a, using the plan's twiddles (of the n-point transform, so every
// other one).
func (p *spectrumPlan) fft(a []complex128) {
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
		step := 2 * n / size // twiddle stride in the n-point table
		half := size / 2
		for start := 0; start < n; start += size {
			for k := range half {
				u, v := a[start+k], a[start+k+half]*p.tw[k*step]
				a[start+k], a[start+k+half] = u+v, u-v
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
