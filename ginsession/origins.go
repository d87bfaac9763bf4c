package ginsession

import "net/http"

// antiCSRFFor resolves the anti-CSRF mode for this request.
func (s *settings) antiCSRFFor(r *http.Request, override AntiCSRFMode) AntiCSRFMode {
	mode := s.antiCSRF
	if override != AntiCSRFAuto {
		mode = override
	}
	if mode != AntiCSRFAuto {
		return mode
	}
	if s.frontends.AnyCrossSite() {
		return AntiCSRFViaCustomHeader
	}
	return AntiCSRFNone
}
