package synth

// The scene never uses math/rand: every random choice comes from these small generators, seeded from
// Options.Seed and a block or frame index, so any frame and any block of walkers can be rebuilt on its own.

// mix64 is the splitmix64 finaliser: a bijective hash of a 64-bit word.
func mix64(z uint64) uint64 {
	z ^= z >> 30
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 27
	z *= 0x94d049bb133111eb
	return z ^ z>>31
}

// hash2 mixes a seed with two integers (a block index, a tile coordinate, a frame number).
func hash2(seed uint64, a, b int64) uint64 {
	return mix64(mix64(seed^0x51afd7ed558ccd) + uint64(a)*0x9e3779b97f4a7c15 + mix64(uint64(b)+0x632be59bd9b4e019))
}

// rng is a splitmix64 stream, used for scene generation (a few hundred draws per block).
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// float returns a uniform value in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// between returns a uniform value in [a, b).
func (r *rng) between(a, b float64) float64 { return a + (b-a)*r.float() }

// sign returns -1 or +1 with equal odds.
func (r *rng) sign() float64 {
	if r.next()&1 == 0 {
		return -1
	}
	return 1
}

// xorshift is a xorshift64* stream, used for per-pixel sensor noise (one draw per 8 pixels).
type xorshift struct{ s uint64 }

func newXorshift(seed uint64) xorshift { return xorshift{mix64(seed) | 1} }

func (x *xorshift) next() uint64 {
	s := x.s
	s ^= s >> 12
	s ^= s << 25
	s ^= s >> 27
	x.s = s
	return s * 0x2545f4914f6cdd1d
}
