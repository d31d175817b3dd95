package font

import "strings"

// Line-breaking classes (JIS X 4051 kinsoku, simplified).
const (
	// noStart may not begin a line: closing brackets, punctuation, small kana, the long-vowel mark and
	// iteration marks.
	noStart = "、。，．・：；？！）」』】〕〉》ー～ゝゞヽヾ々ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ,.;:!?)]}%"
	// noEnd may not end a line: opening brackets.
	noEnd = "（「『【〔〈《([{"
	// strong are runes after which a break reads naturally even early in a line.
	strong = "、。・，："
)

func wide(r rune) bool { return r >= 0x2E80 }

func hiragana(r rune) bool { return r >= 0x3041 && r <= 0x309F }

// breakKind says how good a break between a and b is: 0 not allowed (kinsoku or inside a Latin word),
// 1 allowed but inside a Japanese word (the last resort before cutting), 2 a phrase boundary, 3 after
// strong punctuation.
func breakKind(a, b rune) int {
	if strings.ContainsRune(noStart, b) || strings.ContainsRune(noEnd, a) {
		return 0
	}
	switch {
	case a == ' ':
		return 2
	case b == ' ':
		return 0 // the space itself is the break
	case strings.ContainsRune(strong, a):
		return 3
	case !wide(a) && !wide(b):
		return 0 // inside a Latin word, number or address
	case strings.ContainsRune(noEnd, b) || strings.ContainsRune(")]}）」』】〕〉》", a):
		return 2 // before an opening or after a closing bracket
	case hiragana(a) && !hiragana(b):
		// A Japanese phrase (文節) is content words (kanji, katakana, Latin) followed by hiragana
		// (particles, endings): it ends where hiragana gives way to anything else, 店内の|混雑把握と|売場配置の|改善.
		return 2
	case wide(a) != wide(b):
		return 2 // between Japanese and Latin text
	}
	return 1
}

// WrapFunc splits s into lines no wider than width, where adv gives each rune's advance in the same unit
// as width. Lines break at phrase boundaries: at spaces, after 、。・, around brackets, and where a
// Japanese phrase ends (hiragana followed by anything else). Kinsoku holds everywhere: no line starts
// with closing punctuation, small kana or ー, and none ends with an opening bracket. A break after
// strong punctuation is preferred when it keeps the line at least a third full. Only when no phrase
// boundary fits does a line break inside a Japanese word, and only when even that is impossible (a Latin
// word wider than the line) is a word cut where it overflows. Spaces at a break are dropped.
func WrapFunc(s string, width float64, adv func(rune) float64) []string {
	var lines []string
	rs := []rune(strings.TrimSpace(s))
	for len(rs) > 0 {
		x := 0.0
		cut := len(rs)
		best := [4]int{} // per kind, the last break that fits
		bestX := [4]float64{}
		for i, r := range rs {
			if i > 0 {
				if k := breakKind(rs[i-1], r); k > 0 {
					best[k], bestX[k] = i, x
				}
			}
			x += adv(r)
			if x > width && i > 0 {
				switch {
				case best[3] > 0 && bestX[3]*3 >= width:
					cut = best[3]
				case max(best[2], best[3]) > 0:
					cut = max(best[2], best[3])
				case best[1] > 0:
					cut = best[1]
				default:
					// Cut where it overflows, moved back so as not to break kinsoku if that leaves
					// anything on the line.
					cut = i
					for c := i; c > 1; c-- {
						if !strings.ContainsRune(noStart, rs[c]) && !strings.ContainsRune(noEnd, rs[c-1]) {
							cut = c
							break
						}
					}
				}
				break
			}
		}
		lines = append(lines, strings.TrimRight(string(rs[:cut]), " "))
		rs = []rune(strings.TrimLeft(string(rs[cut:]), " "))
	}
	return lines
}

// Wrap is WrapFunc for this face in pixels at scale 1.
func (f *Face) Wrap(s string, width int) []string {
	return WrapFunc(s, float64(width), func(r rune) float64 { return float64(f.Advance(r)) })
}
