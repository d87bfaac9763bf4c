package origin

import (
	"slices"
	"time"

	"github.com/gin-contrib/cors"
)

// CORSConfig builds the gin-contrib/cors configuration that allows exactly
// the frontends of s: exact origins as AllowOrigins, patterns through
// AllowOriginFunc with the matcher the cookies use, so the CORS answer and
// the cookies agree on which origins are configured. allowHeaders and
// exposeHeaders are ginsession's CORSAllowHeaders and CORSExposeHeaders,
// read when called (an app may have added to them); they are copied.
func CORSConfig(s *Set, allowHeaders, exposeHeaders []string) (cors.Config, error) {
	cfg := cors.Config{
		AllowOrigins:     slices.Clone(s.order),
		AllowMethods:     []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"},
		AllowHeaders:     append([]string(nil), allowHeaders...),
		ExposeHeaders:    append([]string(nil), exposeHeaders...),
		AllowCredentials: true,
		MaxAge:           10 * time.Minute,
	}
	if len(s.patterns) > 0 {
		cfg.AllowOriginFunc = s.AllowsExactly
	}
	if err := cfg.Validate(); err != nil {
		return cors.Config{}, err
	}
	return cfg, nil
}
