package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/crypto/argon2"
)

// Argon2 holds argon2id cost parameters (RFC 9106).
type Argon2 struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultArgon2 is RFC 9106's second recommended option (64 MiB, t=3):
// about 60 ms on one core of the hub's reference box.
var DefaultArgon2 = Argon2{Memory: 64 * 1024, Time: 3, Threads: 2}

var b64 = base64.RawStdEncoding

// Hash returns the PHC string of password: $argon2id$v=19$m=..,t=..,p=..$salt$hash.
func (a Argon2) Hash(password string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("accounts: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, a.Time, a.Memory, a.Threads, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, a.Memory, a.Time, a.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// errBadHash reports a stored hash this package cannot read.
var errBadHash = errors.New("accounts: unrecognised password hash")

// VerifyPassword reports whether password matches the PHC string hash,
// in constant time with respect to the password.
func VerifyPassword(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false, errBadHash
	}
	var a Argon2
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &a.Memory, &a.Time, &a.Threads); err != nil {
		return false, errBadHash
	}
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || a.Memory > 1<<22 || a.Time > 64 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, a.Time, a.Memory, a.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// Policy is the password and lockout policy.
type Policy struct {
	MinLength  int           // characters; default 12
	MinClasses int           // of upper, lower, digit, other; default 3
	MaxAge     time.Duration // a password older than this must be changed; 0 = never (default 90 days)
	// MaxFailures consecutive failed logins lock the account for
	// LockoutFor (defaults 5 and 15 minutes).
	MaxFailures int
	LockoutFor  time.Duration
	// IdleTimeout ends a login session unused this long (default 15 minutes).
	IdleTimeout time.Duration
	Argon2      Argon2
}

// WithDefaults fills unset fields.
func (p Policy) WithDefaults() Policy {
	if p.MinLength == 0 {
		p.MinLength = 12
	}
	if p.MinClasses == 0 {
		p.MinClasses = 3
	}
	if p.MaxAge == 0 {
		p.MaxAge = 90 * 24 * time.Hour
	}
	if p.MaxFailures == 0 {
		p.MaxFailures = 5
	}
	if p.LockoutFor == 0 {
		p.LockoutFor = 15 * time.Minute
	}
	if p.IdleTimeout == 0 {
		p.IdleTimeout = 15 * time.Minute
	}
	if p.Argon2 == (Argon2{}) {
		p.Argon2 = DefaultArgon2
	}
	return p
}

// ErrWeakPassword is wrapped by CheckPassword's errors.
var ErrWeakPassword = errors.New("accounts: password does not meet the policy")

// CheckPassword checks password against the policy; the user name must not
// appear in it.
func (p Policy) CheckPassword(username, password string) error {
	p = p.WithDefaults()
	if n := len([]rune(password)); n < p.MinLength {
		return fmt.Errorf("%w: at least %d characters", ErrWeakPassword, p.MinLength)
	}
	var upper, lower, digit, other bool
	for _, r := range password {
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	classes := 0
	for _, b := range []bool{upper, lower, digit, other} {
		if b {
			classes++
		}
	}
	if classes < p.MinClasses {
		return fmt.Errorf("%w: at least %d of upper case, lower case, digits and symbols", ErrWeakPassword, p.MinClasses)
	}
	if username != "" && strings.Contains(strings.ToLower(password), strings.ToLower(username)) {
		return fmt.Errorf("%w: must not contain the user name", ErrWeakPassword)
	}
	return nil
}

// RandomPassword returns a password of n characters from all four classes,
// for bootstrap accounts and resets.
func RandomPassword(n int) string {
	const sets = "ABCDEFGHJKLMNPQRSTUVWXYZ" + "abcdefghijkmnopqrstuvwxyz" + "23456789" + "-_.!@#%+="
	classes := []string{sets[:24], sets[24:49], sets[49:57], sets[57:]}
	out := make([]byte, n)
	buf := make([]byte, n)
	rand.Read(buf)
	for i := range out {
		set := sets
		if i < len(classes) {
			set = classes[i] // one of each class first
		}
		out[i] = set[int(buf[i])%len(set)]
	}
	// Shuffle so the class order is not fixed.
	perm := make([]byte, n)
	rand.Read(perm)
	for i := n - 1; i > 0; i-- {
		j := int(perm[i]) % (i + 1)
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}
