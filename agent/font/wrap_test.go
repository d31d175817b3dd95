package font

import (
	"strings"
	"testing"
)

func TestWrap(t *testing.T) {
	f := Face12()
	for _, tc := range []struct {
		s     string
		width int
		want  []string
	}{
		// Prefers the break after ・ over filling the line.
		{"座標のみ・映像は保存しません", 12 * 12, []string{"座標のみ・", "映像は保存しません"}},
		// Latin breaks at spaces, which are dropped.
		{"No video. Paths only.", 6 * 12, []string{"No video.", "Paths only."}},
		// 。 and small kana never start a line.
		{"あいう。えお", 3 * 12, []string{"あい", "う。", "えお"}},
		{"あいっう", 2 * 12, []string{"あ", "いっ", "う"}},
		// A word wider than the line is broken where it overflows.
		{"privacy@example.com", 6 * 8, []string{"privacy@", "example.", "com"}},
		// Phrase boundaries, not inside words: never 売場配|置.
		{"目的：店内の混雑把握と売場配置の改善", 12 * 12, []string{"目的：店内の混雑把握と", "売場配置の改善"}},
		{"店内の混雑把握と売場配置の改善", 10 * 12, []string{"店内の混雑把握と", "売場配置の改善"}},
		{"映像はメモリ上で直ちに消去し、保存・送信しません", 10 * 12, []string{"映像はメモリ上で", "直ちに消去し、保存・", "送信しません"}},
		// Brackets: a break before the opening one, none after it.
		{"デモ店舗（見本の表示です）", 5 * 12, []string{"デモ店舗", "（見本の", "表示です）"}},
		// Without a phrase boundary that fits, a long word still breaks, between Japanese characters.
		{"混雑把握売場配置改善", 4 * 12, []string{"混雑把握", "売場配置", "改善"}},
		{"", 100, nil},
		{"短い", 100, []string{"短い"}},
	} {
		got := f.Wrap(tc.s, tc.width)
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("Wrap(%q, %d) = %q, want %q", tc.s, tc.width, got, tc.want)
		}
		for _, l := range got {
			if f.Measure(l) > tc.width {
				t.Errorf("Wrap(%q): line %q is wider than %d", tc.s, l, tc.width)
			}
		}
	}
}

// TestWrapKinsoku wraps notice-like text at every width and checks the rules on each line.
func TestWrapKinsoku(t *testing.T) {
	f := Face12()
	for _, s := range []string{
		"映像はメモリ上で直ちに消去し、保存・送信しません",
		"サービスカウンター（03-0000-0000）",
		"「ちょっと」待って、ください。ショッピングカートはこちらです。",
		"店舗スタッフ privacy@example.com",
		"Measuring crowding to improve the store layout",
	} {
		// From six full-width characters up: narrower, 「ちょっと」 has no line break that keeps the rules.
		for w := 6 * 12; w <= 40*12; w += 6 {
			lines := f.Wrap(s, w)
			if strings.ReplaceAll(strings.Join(lines, ""), " ", "") != strings.ReplaceAll(s, " ", "") {
				t.Errorf("Wrap(%q, %d) = %q loses text", s, w, lines)
			}
			for i, l := range lines {
				first, last := []rune(l)[0], []rune(l)[len([]rune(l))-1]
				if i > 0 && strings.ContainsRune(noStart, first) && wide(first) {
					t.Errorf("Wrap(%q, %d): line %q starts with %q", s, w, l, first)
				}
				if i < len(lines)-1 && strings.ContainsRune(noEnd, last) {
					t.Errorf("Wrap(%q, %d): line %q ends with %q", s, w, l, last)
				}
			}
		}
	}
}
