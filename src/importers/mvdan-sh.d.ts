// The part of mvdan-sh's (GopherJS-compiled mvdan/sh) API flotilla uses; the package ships no types.
declare module 'mvdan-sh' {
  export interface Pos { Offset(): number; Line(): number; Col(): number }
  export interface Node { Pos(): Pos; End(): Pos }
  export interface WordPart extends Node {
    Value?: string; Parts?: WordPart[]
    // ParamExp: `$PORT` has only Param; `${PORT:-x}`, `${#PORT}`… set one of the others
    Param?: {Value: string}; Exp?: unknown; Slice?: unknown; Repl?: unknown; Index?: unknown; Length?: boolean; Excl?: boolean
  }
  export interface Word extends Node { Parts: WordPart[]; Lit(): string }
  export interface Assign extends Node { Name: {Value: string} | null; Value: Word | null; Naked: boolean }
  export interface Command extends Node {
    Args?: Word[] & Assign[]; Assigns?: Assign[]; Variant?: {Value: string}
    Op?: number; X?: Stmt; Y?: Stmt
  }
  export interface Stmt extends Node { Cmd: Command | null; Background: boolean; Negated: boolean; Redirs: unknown[] }
  export interface File extends Node { Stmts: Stmt[] }
  export interface ParseError { Error(): string; Pos: Pos; Text: string }
  const sh: {syntax: {
    NewParser(): {Parse(src: string, name: string): File}
    NodeType(node: unknown): string
    Walk(node: Node, visit: (node: Node | null) => boolean): void
  }}
  export default sh
}
