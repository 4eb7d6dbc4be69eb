package identity

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"shop/ent"
	"shop/internal/apperr"
	"shop/internal/httpserver"
	"shop/internal/ratelimit"
)

// HTTP serves the identity endpoints of API.md.
type HTTP struct {
	Svc    *Service
	Tokens *Tokens
	DB     *ent.Client
	// PerIP limits register and login attempts per client IP; PerEmail
	// limits login attempts per email, whatever the IP.
	PerIP, PerEmail ratelimit.Attempts
}

// UserJSON is the User of API.md.
type UserJSON struct {
	ID        int       `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

// ToUserJSON maps a user to its API shape (never the password hash).
func ToUserJSON(u *ent.User) UserJSON {
	return UserJSON{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), CreatedAt: u.CreatedAt.UTC()}
}

type authResponse struct {
	User  UserJSON `json:"user"`
	Token string   `json:"token"`
}

// Register creates a customer account and answers it with a token.
func (h *HTTP) Register(c echo.Context) error {
	if err := limit(c, h.PerIP, ClientKey(c)); err != nil {
		return err
	}
	var in CreateUserInput
	if err := httpserver.Bind(c, &in); err != nil {
		return err
	}
	in.Role = RoleCustomer
	ctx := c.Request().Context()
	u, err := h.Svc.CreateUser(ctx, h.DB, in)
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusCreated, u)
}

// Login exchanges an email and password for a token, within the rate limits.
func (h *HTTP) Login(c echo.Context) error {
	if err := limit(c, h.PerIP, ClientKey(c)); err != nil {
		return err
	}
	var in Credentials
	if err := httpserver.Bind(c, &in); err != nil {
		return err
	}
	// Authenticate validates too; a refused body must not spend the
	// email's attempts, so the input is checked before the email's limit.
	if err := in.Validate(); err != nil {
		return err
	}
	if err := limit(c, h.PerEmail, "email:"+NormalizeEmail(in.Email)); err != nil {
		return err
	}
	u, err := h.Svc.Authenticate(c.Request().Context(), h.DB, in)
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, u)
}

func (h *HTTP) respond(c echo.Context, status int, u *ent.User) error {
	token, err := h.Tokens.Issue(u)
	if err != nil {
		return err
	}
	return c.JSON(status, authResponse{User: ToUserJSON(u), Token: token})
}

// Me answers the signed-in user.
func (h *HTTP) Me(c echo.Context) error {
	u, err := h.DB.User.Get(c.Request().Context(), UserID(c))
	if ent.IsNotFound(err) {
		// Not a missing resource: the token's user is gone, so the token
		// authenticates nobody (401, as in RequireAdmin).
		return userGone()
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ToUserJSON(u))
}

// ClientKey is the rate-limit key of the client of c (its IP): login,
// register and failed credentials share its budget.
func ClientKey(c echo.Context) string { return "ip:" + c.RealIP() }

// limit takes one attempt of key from l: 429 rate_limited with
// Retry-After when none is left.
func limit(c echo.Context, l ratelimit.Attempts, key string) error {
	if l == nil {
		return nil
	}
	ok, wait, err := l.Allow(c.Request().Context(), key)
	if err != nil {
		return err
	}
	if !ok {
		secs := ratelimit.RetryAfterSeconds(wait)
		return apperr.New(apperr.RateLimited, "too many attempts; retry in %d seconds", secs).With("retry_after", secs)
	}
	return nil
}
