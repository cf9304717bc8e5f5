package smart

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Keys is the server's signing key ring, kept in one file (mode 0600) in the
// data folder: the first key signs, the others (at most two retired ones)
// still verify tokens issued before a rotation.
type Keys struct {
	path string
	mu   sync.RWMutex
	ring []jwk.Key // private keys, newest first
}

const maxKeys = 3

// LoadKeys reads the key ring at path, generating a first key (RSA 2048,
// RS256) when the file does not exist.
func LoadKeys(path string) (*Keys, error) {
	k := &Keys{path: path}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return k, k.Rotate()
	}
	if err != nil {
		return nil, fmt.Errorf("smart: keys: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("smart: keys: %s is readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		return nil, fmt.Errorf("smart: keys %s: %w", path, err)
	}
	for _, r := range raws {
		key, err := jwk.ParseKey(r)
		if err != nil {
			return nil, fmt.Errorf("smart: keys %s: %w", path, err)
		}
		k.ring = append(k.ring, key)
	}
	if len(k.ring) == 0 {
		return k, k.Rotate()
	}
	return k, nil
}

// Rotate generates a new signing key and keeps the previous ones for
// verification (up to two), writing the file atomically.
func (k *Keys) Rotate() error {
	raw, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("smart: generate key: %w", err)
	}
	key, err := jwk.FromRaw(raw)
	if err != nil {
		return err
	}
	var id [8]byte
	rand.Read(id[:])
	key.Set(jwk.KeyIDKey, time.Now().UTC().Format("20060102")+"-"+hex.EncodeToString(id[:]))
	key.Set(jwk.AlgorithmKey, jwa.RS256)
	key.Set(jwk.KeyUsageKey, "sig")
	k.mu.Lock()
	defer k.mu.Unlock()
	ring := append([]jwk.Key{key}, k.ring...)
	if len(ring) > maxKeys {
		ring = ring[:maxKeys]
	}
	data, err := json.MarshalIndent(ring, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(k.path), 0o700); err != nil {
		return fmt.Errorf("smart: keys: %w", err)
	}
	tmp := k.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("smart: keys: %w", err)
	}
	if err := os.Rename(tmp, k.path); err != nil {
		return fmt.Errorf("smart: keys: %w", err)
	}
	k.ring = ring
	return nil
}

// Signing returns the current signing key.
func (k *Keys) Signing() jwk.Key {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.ring[0]
}

// Public returns the public keys of the ring, the /jwks document.
func (k *Keys) Public() (jwk.Set, error) {
	k.mu.RLock()
	defer k.mu.RUnlock()
	set := jwk.NewSet()
	for _, key := range k.ring {
		pub, err := jwk.PublicKeyOf(key)
		if err != nil {
			return nil, err
		}
		set.AddKey(pub)
	}
	return set, nil
}
