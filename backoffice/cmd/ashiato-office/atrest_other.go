//go:build !linux

package main

// encryptedAtRest is false off Linux: the office cannot tell, so the privacy page claims nothing.
func encryptedAtRest(string) bool { return false }
