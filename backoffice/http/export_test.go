package http

// ForgetLive drops the cached sensor list, as a command does, so that a test that has just written to the
// store sees it on the next page without waiting a live interval on the wall clock.
func (s *Server) ForgetLive() { s.live.invalidate() }
