// Package secret seals database passwords for the runner's store with AES-256-GCM, under
// the key the store keeps (store.Store's SealingKey; for bbolt, a file of its own in the
// data directory, mode 0600).
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
)

const keySize = 32

// Box seals and opens secrets with one key.
type Box struct {
	aead cipher.AEAD
}

// New returns a box over key, which must be 32 bytes (store.Store's SealingKey).
func New(key []byte) (*Box, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("the store key holds %d bytes, want %d: restore it from backup; without it stored passwords cannot be read", len(key), keySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// LoadOrCreateKey reads the key at path, creating a random one with mode 0600 if the file
// does not exist. A file that does not hold a key of the right size is an error.
func LoadOrCreateKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key = make([]byte, keySize)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("generating the store key: %w", err)
		}
		if err := os.WriteFile(path, key, 0o600); err != nil {
			return nil, fmt.Errorf("writing the store key %s: %w", path, err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("reading the store key %s: %w", path, err)
	}
	if len(key) != keySize {
		return nil, fmt.Errorf("store key %s holds %d bytes, want %d: restore it from backup; without it stored passwords cannot be read", path, len(key), keySize)
	}
	return key, nil
}

// Seal encrypts plain; the result carries its own nonce.
func (b *Box) Seal(plain string) ([]byte, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return b.aead.Seal(nonce, nonce, []byte(plain), nil), nil
}

// Open decrypts what Seal produced.
func (b *Box) Open(sealed []byte) (string, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n {
		return "", errors.New("sealed secret is too short")
	}
	plain, err := b.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return "", fmt.Errorf("cannot decrypt a stored password (was the store key replaced?): %w", err)
	}
	return string(plain), nil
}
