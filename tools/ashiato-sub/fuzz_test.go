package main

import (
	"testing"

	"github.com/ashiato/ashiato/schemas"
)

// FuzzFilter hands the subscriber's filter arbitrary messages, with and without schema validation. A
// verdict is one of the four; with validation, a message is invalid exactly when its schema says so; a
// track it shows is a duplicate the second time; and after an online status, an offline will of an older
// birth from the same sensor is stale.
func FuzzFilter(f *testing.F) {
	for _, m := range [][2]string{
		{"ashiato/v1/s1/cam1/tracks", `{"v":1,"sensor":"cam1","track":"27cef1b04d92b78b97757576","space":"image","w":640,"h":480,"points":[[3,1795931840977,0.98438,0.88333]],"seg":0,"final":true}`},
		{"ashiato/v1/s1/cam1/tracks", `{"track":"a","seg":1}`},
		{"ashiato/v1/s1/cam1/status", `{"v":1,"state":"online","birth":2,"sensor":"cam1","capturing":true,"ring_locked":true,"frames":1,"frames_dropped":0,"tracks_closed":0,"tracks_published":0}`},
		{"ashiato/v1/s1/cam1/status", `{"v":1,"state":"offline","birth":1,"sensor":"cam1"}`},
		{"ashiato/v1/s1/cam1/privacy", `{"v":1,"state":"paused","reason":"staff meeting","since":1795931840000,"for_s":1.5}`},
		{"ashiato/v1/s1/cam1/cmd/pause", `{"reason":"x"}`},
		{"ashiato/v1/s1/cam1/other", `{}`},
		{"elsewhere", `not json`},
		{"ashiato/v1/s1/cam1/tracks", `{"track":1}`},
	} {
		f.Add(m[0], []byte(m[1]), uint64(5))
	}
	v, err := schemas.New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, topic string, payload []byte, birth uint64) {
		for _, val := range []*schemas.Validator{nil, v} {
			fl := newFilter(val)
			verdict, err := fl.handle(topic, payload)
			if verdict < show || verdict > invalid || (verdict == invalid) != (err != nil) {
				t.Fatalf("handle(%q, %q) = %v, %v", topic, payload, verdict, err)
			}
			if val != nil && verdict != invalid {
				if serr := v.Validate(topic, payload); serr != nil && !isNoSchema(serr) {
					t.Fatalf("handle(%q, %q) passed a message its schema refuses: %v", topic, payload, serr)
				}
			}
			if _, leaf, ok := schemas.SplitTopic(topic); ok && leaf == "tracks" && verdict == show {
				if again, _ := fl.handle(topic, payload); again != duplicate {
					t.Fatalf("a track shown once is %v the second time: %q", again, payload)
				}
			}
		}
		// Births (from 1): after online N, offline N-1 is stale and offline N is not.
		if birth < 2 {
			return
		}
		sensor, _, ok := schemas.SplitTopic(topic)
		if !ok {
			return
		}
		status := sensor.Topic("status")
		fl := newFilter(v)
		on := []byte(`{"v":1,"state":"online","birth":` + itoa(birth) + `,"sensor":"` + sensor.Sensor + `","capturing":false,"ring_locked":false,"frames":0,"frames_dropped":0,"tracks_closed":0,"tracks_published":0}`)
		if got, err := fl.handle(status, on); got != show {
			t.Fatalf("online: %v, %v", got, err)
		}
		off := func(b uint64) []byte {
			return []byte(`{"v":1,"state":"offline","birth":` + itoa(b) + `,"sensor":"` + sensor.Sensor + `"}`)
		}
		if got, _ := fl.handle(status, off(birth-1)); got != stale {
			t.Fatalf("offline %d after online %d: %v, want stale", birth-1, birth, got)
		}
		if got, _ := fl.handle(status, off(birth)); got != show {
			t.Fatalf("offline %d after online %d: %v, want shown", birth, birth, got)
		}
	})
}

func isNoSchema(err error) bool {
	for e := err; e != nil; {
		if e == schemas.ErrNoSchema {
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}

func itoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}
