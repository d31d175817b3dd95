package analytics

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
)

// Suppressed reports whether a value counting tracks distinct tracks must be withheld from public outputs
// under threshold k.
func Suppressed(tracks, k int) bool { return tracks < k }

// publish returns the public form of count, a count of distinct tracks: ok is false when it is suppressed
// (fewer than K tracks; the decision is made on the true count, so the threshold is exact); otherwise the
// count itself, or, in noise mode, the count plus Laplace noise of scale 1/ε, rounded and at least 0. The
// noise is a pure function of the office's secret key and of what is published (store, metric, key,
// interval and the true count), so asking again gives the same answer, and it cannot be averaged away.
func (s *Service) publish(ctx context.Context, count int, store, metric, key string, from, to time.Time) (int, bool, error) {
	if Suppressed(count, s.o.K) {
		return 0, false, nil
	}
	if !s.o.Noise {
		return count, true, nil
	}
	k, err := s.noiseKey(ctx)
	if err != nil {
		return 0, false, err
	}
	u := uniform(k, store, metric, key, strconv.FormatInt(from.UnixMilli(), 10), strconv.FormatInt(to.UnixMilli(), 10),
		strconv.Itoa(count))
	return max(0, int(math.Round(float64(count)+Laplace(u, 1/s.o.Epsilon)))), true, nil
}

// noiseKeySize is the length of the noise key: 256 bits, HMAC-SHA256's block of security.
const noiseKeySize = 32

func (s *Service) noiseKey(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key != nil {
		return s.key, nil
	}
	fresh := make([]byte, noiseKeySize)
	if _, err := io.ReadFull(s.o.Rand, fresh); err != nil {
		return nil, fmt.Errorf("analytics: noise key: %w", err)
	}
	k, err := s.st.NoiseKey(ctx, fresh)
	if err != nil {
		return nil, fmt.Errorf("analytics: %w", err)
	}
	if len(k) < noiseKeySize {
		return nil, fmt.Errorf("analytics: the stored noise key is %d bytes, want %d", len(k), noiseKeySize)
	}
	s.key = k
	return k, nil
}

// uniform maps parts, under key, to a number uniform in (0, 1): HMAC-SHA256 is a pseudo-random function,
// so without the key the result cannot be predicted or told from chance.
func uniform(key []byte, parts ...string) float64 {
	m := hmac.New(sha256.New, key)
	for _, p := range parts {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(p)))
		m.Write(n[:])
		m.Write([]byte(p))
	}
	bits := binary.BigEndian.Uint64(m.Sum(nil)) >> 11 // 53 bits
	return (float64(bits) + 0.5) / (1 << 53)
}

// Laplace returns the value of the Laplace distribution of scale b (mean 0, variance 2b²) at quantile u in
// (0, 1): the inverse of its cumulative distribution function.
func Laplace(u, b float64) float64 {
	if u < 0.5 {
		return b * math.Log(2*u)
	}
	return -b * math.Log(2*(1-u))
}
