package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// syllables prefix re-identified family names, so that a copy's names do
// not share a prefix with the original's (name search matches prefixes).
var syllables = [...]string{"Zha", "Qia", "Sun", "Liu", "Zho", "Wux", "Zhe", "Fen", "Che", "Chu", "Wei", "Jia", "Shen", "Han", "Yan", "Xu"}

// reidentify returns a copy of a Synthea transaction Bundle as if it came
// from other people: every urn:uuid fullUrl and reference is replaced by a
// new one, identifier values get a copy suffix, family names a copy prefix,
// and every date and dateTime moves by a number of days that depends on the
// copy. It is deterministic: the same copy number yields the same bytes.
func reidentify(data []byte, copyNo int) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // keep decimals' lexical form
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("bench: re-identify: %w", err)
	}
	r := reid{copyNo: copyNo, shift: time.Duration(copyNo*37) * 24 * time.Hour}
	v = r.walk("", v)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("bench: re-identify: %w", err)
	}
	return buf.Bytes(), nil
}

type reid struct {
	copyNo int
	shift  time.Duration
}

func (r reid) walk(key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			x[k] = r.walk(k, c)
		}
		if key == "identifier" || key == "valueIdentifier" {
			if s, ok := x["value"].(string); ok {
				x["value"] = fmt.Sprintf("%s-r%d", s, r.copyNo)
			}
		}
		if s, ok := x["family"].(string); ok && key == "name" {
			x["family"] = syllables[r.copyNo%len(syllables)] + strings.ToLower(s) + fmt.Sprint(r.copyNo/len(syllables))
		}
		return x
	case []any:
		for i, c := range x {
			x[i] = r.walk(key, c)
		}
		return x
	case string:
		return r.str(key, x)
	}
	return v
}

func (r reid) str(key, s string) string {
	if rest, ok := strings.CutPrefix(s, "urn:uuid:"); ok {
		sum := sha256.Sum256([]byte(fmt.Sprintf("%d/%s", r.copyNo, rest)))
		h := hex.EncodeToString(sum[:16])
		return "urn:uuid:" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
	}
	if key == "div" || len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return s
	}
	d, err := time.Parse("2006-01-02", s[:10])
	if err != nil {
		return s
	}
	return d.Add(r.shift).Format("2006-01-02") + s[10:]
}

// writeCopies writes copies first..last-1 of every Bundle in src into dst,
// re-identified, and returns dst.
func writeCopies(src, dst string, first, last int) error {
	files, err := filepath.Glob(filepath.Join(src, "*.json"))
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := os.MkdirAll(dst, 0o750); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("bench: %w", err)
		}
		for c := first; c < last; c++ {
			out, err := reidentify(data, c)
			if err != nil {
				return fmt.Errorf("bench: %s: %w", f, err)
			}
			name := fmt.Sprintf("copy%03d_%s", c, filepath.Base(f))
			if err := os.WriteFile(filepath.Join(dst, name), out, 0o600); err != nil {
				return fmt.Errorf("bench: %w", err)
			}
		}
	}
	return nil
}
