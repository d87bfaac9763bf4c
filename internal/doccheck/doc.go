// Package doccheck holds one test, TestDocsCompile: every ```go block of
// README.md, CONTRIBUTING.md, SECURITY.md, docs/*.md and example/README.md
// is a complete Go file (package clause and imports) and must build against
// this repository. See CONTRIBUTING.md, "Code in the documentation".
package doccheck
