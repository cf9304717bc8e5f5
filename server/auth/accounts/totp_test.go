package accounts

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"testing"
	"time"
)

// TestTOTPVectors checks the test vectors of RFC 6238 Appendix B (8 digits,
// 30-second steps; the seeds are the ASCII digits repeated to each hash's size).
func TestTOTPVectors(t *testing.T) {
	t.Parallel()
	seeds := map[string][]byte{
		"SHA1":   []byte("12345678901234567890"),
		"SHA256": []byte("12345678901234567890123456789012"),
		"SHA512": []byte("1234567890123456789012345678901234567890123456789012345678901234"),
	}
	hashes := map[string]func() hash.Hash{"SHA1": sha1.New, "SHA256": sha256.New, "SHA512": sha512.New}
	vectors := []struct {
		unix int64
		alg  string
		code string
	}{
		{59, "SHA1", "94287082"}, {59, "SHA256", "46119246"}, {59, "SHA512", "90693936"},
		{1111111109, "SHA1", "07081804"}, {1111111109, "SHA256", "68084774"}, {1111111109, "SHA512", "25091201"},
		{1111111111, "SHA1", "14050471"}, {1111111111, "SHA256", "67062674"}, {1111111111, "SHA512", "99943326"},
		{1234567890, "SHA1", "89005924"}, {1234567890, "SHA256", "91819424"}, {1234567890, "SHA512", "93441116"},
		{2000000000, "SHA1", "69279037"}, {2000000000, "SHA256", "90698825"}, {2000000000, "SHA512", "38618901"},
		{20000000000, "SHA1", "65353130"}, {20000000000, "SHA256", "77737706"}, {20000000000, "SHA512", "47863826"},
	}
	for _, v := range vectors {
		tp := TOTP{Secret: seeds[v.alg], Digits: 8, Hash: hashes[v.alg]}
		if got := tp.Code(time.Unix(v.unix, 0)); got != v.code {
			t.Errorf("%s at %d: %s, want %s", v.alg, v.unix, got, v.code)
		}
	}
	if _, ok := totpHashes["SHA256"]; !ok {
		t.Fatal("hash table")
	}
}

// TestHOTPVectors checks RFC 4226 Appendix D.
func TestHOTPVectors(t *testing.T) {
	t.Parallel()
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	tp := TOTP{Secret: []byte("12345678901234567890")}
	for c, w := range want {
		if got := tp.HOTP(int64(c)); got != w {
			t.Errorf("HOTP(%d) = %s, want %s", c, got, w)
		}
	}
}

func TestTOTPVerify(t *testing.T) {
	t.Parallel()
	tp := TOTP{Secret: NewTOTPSecret()}
	now := time.Unix(1_700_000_000, 0)
	code := tp.Code(now)
	step, ok := tp.Verify(code, now.Add(20*time.Second), 0) // drift within one step
	if !ok {
		t.Fatal("current code refused")
	}
	if _, ok := tp.Verify(code, now, step); ok {
		t.Fatal("replayed code accepted")
	}
	if _, ok := tp.Verify(tp.Code(now.Add(-2*time.Minute)), now, 0); ok {
		t.Fatal("stale code accepted")
	}
	if _, ok := tp.Verify("000000x", now, 0); ok {
		t.Fatal("junk accepted")
	}
}
