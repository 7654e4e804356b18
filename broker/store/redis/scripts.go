package redisstore

import (
	"context"
	"crypto/sha1" //nolint:gosec // Redis names scripts by SHA-1
	"embed"
	"encoding/hex"

	"github.com/redis/rueidis"
)

//go:embed scripts/*.lua
var scriptFiles embed.FS

// script is a Lua script run with EVALSHA (falling back to EVAL after a
// NOSCRIPT, as after a Redis restart), through rueidis's Lua helper.
type script struct {
	lua *rueidis.Lua
	sha string
	ro  bool
}

func loadScript(name string, readOnly bool) *script {
	src, err := scriptFiles.ReadFile("scripts/" + name)
	if err != nil {
		panic("redisstore: missing embedded script " + name) // a build defect
	}
	sum := sha1.Sum(src) //nolint:gosec // not for security
	s := &script{sha: hex.EncodeToString(sum[:]), ro: readOnly}
	if readOnly {
		s.lua = rueidis.NewLuaScriptReadOnly(string(src))
	} else {
		s.lua = rueidis.NewLuaScript(string(src))
	}
	return s
}

var (
	storeScript          = loadScript("store.lua", false)
	historyFromScript    = loadScript("history_from.lua", true)
	historySinceScript   = loadScript("history_since.lua", true)
	presenceAddScript    = loadScript("presence_add.lua", false)
	presenceRemoveScript = loadScript("presence_remove.lua", false)
	presenceTouchScript  = loadScript("presence_touch.lua", false)
	presenceExpireScript = loadScript("presence_expire.lua", false)
	presenceUnindex      = loadScript("presence_unindex.lua", false)
)

func (s *script) exec(ctx context.Context, c rueidis.Client, keys, args []string) rueidis.RedisResult {
	return s.lua.Exec(ctx, c, keys, args)
}

// execMulti pipelines several runs. rueidis's ExecMulti loads the script
// on every node at each call; this sends EVALSHA and redoes only the runs
// that got NOSCRIPT.
func (s *script) execMulti(ctx context.Context, c rueidis.Client, runs []rueidis.LuaExec) []rueidis.RedisResult {
	cmds := make(rueidis.Commands, len(runs))
	for i, r := range runs {
		if s.ro {
			cmds[i] = c.B().EvalshaRo().Sha1(s.sha).Numkeys(int64(len(r.Keys))).Key(r.Keys...).Arg(r.Args...).Build()
		} else {
			cmds[i] = c.B().Evalsha().Sha1(s.sha).Numkeys(int64(len(r.Keys))).Key(r.Keys...).Arg(r.Args...).Build()
		}
	}
	results := c.DoMulti(ctx, cmds...)
	for i, res := range results {
		if rerr, ok := rueidis.IsRedisErr(res.Error()); ok && rerr.IsNoScript() {
			results[i] = s.exec(ctx, c, runs[i].Keys, runs[i].Args)
		}
	}
	return results
}
