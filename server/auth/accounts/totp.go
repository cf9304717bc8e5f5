package accounts

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"hash"
	"net/url"
	"time"
)

// TOTP is a time-based one-time password generator (RFC 6238 over RFC 4226
// HOTP). The zero values of Digits, Step and Hash mean 6, 30 s and SHA-1,
// what authenticator apps expect.
type TOTP struct {
	Secret []byte
	Digits int
	Step   time.Duration
	Hash   func() hash.Hash
}

func (t TOTP) withDefaults() TOTP {
	if t.Digits == 0 {
		t.Digits = 6
	}
	if t.Step == 0 {
		t.Step = 30 * time.Second
	}
	if t.Hash == nil {
		t.Hash = sha1.New
	}
	return t
}

// Hashes selectable for TOTP, by otpauth algorithm name.
var totpHashes = map[string]func() hash.Hash{"SHA1": sha1.New, "SHA256": sha256.New, "SHA512": sha512.New}

// Counter returns the time step of instant at.
func (t TOTP) Counter(at time.Time) int64 {
	t = t.withDefaults()
	return at.Unix() / int64(t.Step/time.Second)
}

// HOTP returns the code for counter c (RFC 4226 §5.3, dynamic truncation).
func (t TOTP) HOTP(c int64) string {
	t = t.withDefaults()
	mac := hmac.New(t.Hash, t.Secret)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(c))
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range t.Digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", t.Digits, v%mod)
}

// Code returns the code valid at instant at.
func (t TOTP) Code(at time.Time) string { return t.HOTP(t.Counter(at)) }

// Verify checks code against the steps at, one before and one after (clock
// drift), refusing steps at or before lastStep (replay). It returns the step
// that matched, to be stored as the new lastStep.
func (t TOTP) Verify(code string, at time.Time, lastStep int64) (step int64, ok bool) {
	now := t.Counter(at)
	for _, c := range []int64{now, now - 1, now + 1} {
		if c <= lastStep {
			continue
		}
		if hmac.Equal([]byte(t.HOTP(c)), []byte(code)) {
			return c, true
		}
	}
	return 0, false
}

// NewTOTPSecret returns a random 20-byte secret (RFC 4226 §4 recommends 160 bits).
func NewTOTPSecret() []byte {
	b := make([]byte, 20)
	rand.Read(b)
	return b
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// EncodeSecret returns the base32 form authenticator apps accept.
func EncodeSecret(secret []byte) string { return b32.EncodeToString(secret) }

// ProvisioningURI returns the otpauth:// URI for enrolment (as a QR code or
// typed in).
func (t TOTP) ProvisioningURI(issuer, account string) string {
	t = t.withDefaults()
	q := url.Values{"secret": {EncodeSecret(t.Secret)}, "issuer": {issuer}, "digits": {fmt.Sprint(t.Digits)},
		"period": {fmt.Sprint(int(t.Step / time.Second))}}
	return "otpauth://totp/" + url.PathEscape(issuer+":"+account) + "?" + q.Encode()
}
