package font

import "strings"

// noStart are runes that must not begin a line and noEnd runes that must not end one (simple kinsoku).
const (
	noStart = "、。，．・：；？！）」』】〕ー～ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ々,.;:!?)]}%"
	noEnd   = "（「『【〔([{"
	// strong are runes after which a break reads naturally.
	strong = "、。・，： "
)

func wide(r rune) bool { return r >= 0x2E80 }

// Wrap splits s into lines no wider than width pixels at scale 1. Japanese text may break between any two
// characters (except before closing punctuation and small kana, or after an opening bracket); Latin text
// breaks at spaces. A break after 、。・ or a space is preferred when it keeps the line at least a third full.
// A word wider than width is broken where it overflows. Spaces at a break are dropped.
func (f *Face) Wrap(s string, width int) []string {
	var lines []string
	rs := []rune(strings.TrimSpace(s))
	for len(rs) > 0 {
		x, cut, weak, strongCut := 0, len(rs), -1, -1
		weakX, strongX := 0, 0
		for i, r := range rs {
			if i > 0 {
				p := rs[i-1]
				ok := p == ' ' || ((wide(p) || wide(r)) && r != ' ')
				ok = ok && !strings.ContainsRune(noStart, r) && !strings.ContainsRune(noEnd, p)
				if ok {
					weak, weakX = i, x
					if strings.ContainsRune(strong, p) {
						strongCut, strongX = i, x
					}
				}
			}
			x += f.Advance(r)
			if x > width && i > 0 {
				switch {
				case strongCut > 0 && strongX*3 >= width:
					cut = strongCut
				case weak > 0 && weakX > 0:
					cut = weak
				default:
					cut = i
				}
				break
			}
		}
		line := strings.TrimRight(string(rs[:cut]), " ")
		lines = append(lines, line)
		rs = []rune(strings.TrimLeft(string(rs[cut:]), " "))
	}
	return lines
}
