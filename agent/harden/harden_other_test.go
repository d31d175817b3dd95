//go:build !linux

package harden

import "testing"

// Outside Linux, Apply cannot make the process non-dumpable and must say so rather than pretend.
func TestApplyOwnsUpToWhatIsMissing(t *testing.T) {
	st, err := Apply()
	if err == nil {
		t.Fatalf("Apply = %+v with no error; only Linux has PR_SET_DUMPABLE", st)
	}
	if st.Dumpable == 0 {
		t.Errorf("Dumpable = 0 reported where it cannot be set")
	}
}
