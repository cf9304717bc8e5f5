package v2fhir

import (
	"crypto/sha1"
	"encoding/hex"
	"net/url"
	"strings"
	"yigong/profiles/cn"
)

// namespaceV2 is the UUID namespace of entry fullUrls (a fixed random
// UUID; the name-based UUIDs below are version 5, RFC 9562 §5.5).
var namespaceV2 = [16]byte{0x6b, 0x1e, 0x0c, 0x52, 0x3f, 0x8a, 0x4d, 0x21, 0x9a, 0x77, 0x2c, 0x5e, 0x41, 0x0d, 0xb3, 0x90}

// entryUUID returns the urn:uuid fullUrl of the entry at pos of the message
// identified by sender and control ID: the same inputs always give the same
// URN, so mapping a message twice gives byte-identical Bundles.
func entryUUID(sender, controlID, pos string) string {
	h := sha1.New()
	h.Write(namespaceV2[:])
	h.Write([]byte(sender))
	h.Write([]byte{0})
	h.Write([]byte(controlID))
	h.Write([]byte{0})
	h.Write([]byte(pos))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return "urn:uuid:" + string(b[:])
}

// residentID classifies a GB 11643 resident ID number: ok when s has the
// shape of one (17 digits and a digit or X; or the older 15 digits), and
// checkOK when the ISO 7064 MOD 11-2 check digit of an 18-character number
// is right (always true for the 15-digit form, which has none).
func residentID(s string) (normalized string, ok, checkOK bool) {
	switch len(s) {
	case 15:
		if !allDigits(s) {
			return "", false, false
		}
		return s, true, true
	case 18:
		s = strings.ToUpper(s)
		if !allDigits(s[:17]) || !(s[17] == 'X' || s[17] >= '0' && s[17] <= '9') {
			return "", false, false
		}
		return s, true, residentCheckChar(s[:17]) == s[17]
	}
	return "", false, false
}

// residentCheckChar is the ISO 7064 MOD 11-2 check character of the first
// 17 digits (GB 11643-1999 §7), from profiles/cn.
func residentCheckChar(d17 string) byte {
	c, _ := cn.CheckDigit(d17) // d17 is 17 digits: checked by residentID
	return c
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// IdentifierQuery is the search "identifier=system|value", escaped, that
// the mapping's conditional entries use to find a resource by identifier.
func IdentifierQuery(system, value string) string { return "identifier=" + tokenParam(system, value) }

// tokenParam formats a token search value system|value for a conditional
// URL: FHIR search escapes (\ | , $) first, then URL query escaping of each
// part.
func tokenParam(system, value string) string {
	return url.QueryEscape(searchEscape(system)) + "|" + url.QueryEscape(searchEscape(value))
}

func searchEscape(s string) string {
	if !strings.ContainsAny(s, `\|,$`) {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `|`, `\|`, `,`, `\,`, `$`, `\$`)
	return r.Replace(s)
}

// uriPart makes a name safe inside a derived URI.
func uriPart(s string) string { return url.PathEscape(strings.TrimSpace(s)) }
