package main

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ginsession/ginsession/ginsession"
)

// The cart shows anonymous sessions: a visitor who has not signed in gets
// one on the first item, and signing in carries the cart into the user's
// session (startSession uses CreateFromAnonymous).

const maxCartItems = 50

func cartOf(data map[string]any) []any {
	items, _ := data["cart"].([]any)
	if items == nil {
		return []any{}
	}
	return items
}

// getCart answers {"cart": [...], "anonymous": bool}; no session, no cart.
func (a *App) getCart(c *gin.Context) {
	s := ginsession.FromContext(c)
	if s == nil {
		c.JSON(http.StatusOK, gin.H{"cart": []any{}, "anonymous": true})
		return
	}
	data, err := s.Data(c)
	if err != nil {
		a.sessions.HandleError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"cart": cartOf(data), "anonymous": s.IsAnonymous()})
}

// addToCart takes {"item"}; a visitor without a session gets an anonymous
// one.
func (a *App) addToCart(c *gin.Context) {
	var in struct {
		Item string `json:"item"`
	}
	switch err := readJSON(c, &in); {
	case errors.Is(err, errBodyTooLarge):
		refuseBody(c, err)
		return
	case err != nil || in.Item == "" || len(in.Item) > 100:
		message(c, http.StatusBadRequest, `want {"item": a name of 1-100 bytes}`)
		return
	}
	s := ginsession.FromContext(c)
	if s == nil {
		if _, err := a.sessions.CreateAnonymous(c, nil, map[string]any{"cart": []string{in.Item}}); err != nil {
			a.sessions.HandleError(c, err)
			return
		}
		c.JSON(http.StatusCreated, gin.H{"cart": []string{in.Item}, "anonymous": true})
		return
	}
	data, err := s.Data(c)
	if err != nil {
		a.sessions.HandleError(c, err)
		return
	}
	items := cartOf(data)
	if len(items) >= maxCartItems {
		c.JSON(http.StatusBadRequest, gin.H{"message": "the cart is full"})
		return
	}
	data["cart"] = append(items, in.Item)
	if err := s.UpdateData(c, data); err != nil {
		a.sessions.HandleError(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"cart": data["cart"], "anonymous": s.IsAnonymous()})
}
