"""MATLAB's compound statements to Python: if/elseif/else, while, for (over columns, or a range when both
ends are certainly whole numbers), switch (if/elif on the value), try/catch (MException)."""
from __future__ import annotations

import ast
from typing import Any

from layergraph.port.parse import children
from layergraph.port.pyast import INDENT, assign, call, const, name, store_name, unparse
from layergraph.port.scope import Untranslatable, python_name


class ControlFlow:
    """Compound statements (a mixin of Statements: it uses block, expr, ex, scope, comment_lines, untranslated,
    define and text)."""

    # ------------------------------------------------------------------ compound statements
    def header(self, node: Any, indent: int, code: str) -> list[str]:
        self.tally.total += 1
        self.tally.translated += 1
        pad = INDENT * indent
        return [pad + c for c in self.comment_lines(node, header_only=True)] + [pad + code]

    def _body(self, node: Any, indent: int) -> list[str]:
        blk = next((c for c in node.named_children if c.type == "block"), None)
        self.block_depth += 1
        try:
            return self.block(list(blk.children) if blk is not None else [], indent)
        finally:
            self.block_depth -= 1

    def condition(self, node: Any) -> str:
        return unparse(self.ex.expr(node))

    def s_if_statement(self, node: Any, indent: int) -> list[str]:
        cond = node.child_by_field_name("condition")
        try:
            out = self.header(node, indent, f"if {self.condition(cond)}:")
        except Untranslatable as why:
            return self.untranslated(node, indent, str(why), counted=True)
        out += self._body(node, indent + 1)
        for clause in node.named_children:
            if clause.type == "elseif_clause":
                c = clause.child_by_field_name("condition")
                try:
                    out += self.header(clause, indent, f"elif {self.condition(c)}:")
                except Untranslatable as why:
                    out += [INDENT * indent + "else:"]
                    out += self.untranslated(clause, indent + 1, str(why))
                    out += [INDENT * (indent + 1) + "raise NotImplementedError('see the PORT line above')"]
                    continue
                out += self._body(clause, indent + 1)
            elif clause.type == "else_clause":
                out += [INDENT * indent + "else:", *self._body(clause, indent + 1)]
        return out

    def s_while_statement(self, node: Any, indent: int) -> list[str]:
        cond = node.child_by_field_name("condition")
        try:
            out = self.header(node, indent, f"while {self.condition(cond)}:")
        except Untranslatable as why:
            return self.untranslated(node, indent, str(why), counted=True)
        return out + self._loop_body(node, indent + 1)

    def s_for_statement(self, node: Any, indent: int) -> list[str]:
        it = next((c for c in node.named_children if c.type in ("iterator", "parfor_options")), None)
        try:
            if it is None:
                raise Untranslatable("a for loop without 'var = values'")
            parts = children(it)
            var, values = parts[0], parts[-1]
            if var.type != "identifier":
                raise Untranslatable("a for loop over something other than a variable")
            v = python_name(self.text(var))
            self.define(self.text(var))
            code = f"for {v} in {self._for_values(values)}:"
            out = self.header(node, indent, code)
        except Untranslatable as why:
            return self.untranslated(node, indent, str(why), counted=True)
        return out + self._loop_body(node, indent + 1)

    def _loop_body(self, node: Any, indent: int) -> list[str]:
        """A loop's body, with the loop depth (break/continue are legal inside) counted while it is translated."""
        self.loop_depth += 1
        try:
            return self._body(node, indent)
        finally:
            self.loop_depth -= 1

    def _for_values(self, values: Any) -> str:
        if values.type == "range":
            parts = children(values)
            if len(parts) == 2 and all(self.ex.kind(p) == "int" for p in parts):
                start, stop = (self.ex.expr(p) for p in parts)
                return unparse(call("range", start, ast.BinOp(left=stop, op=ast.Add(), right=const(1))))
            if len(parts) == 3 and all(self.ex.kind(p) == "int" for p in parts) and \
                    parts[1].type == "number" and int(self.text(parts[1])) > 0:
                start, step, stop = (self.ex.expr(p) for p in parts)
                return unparse(call("range", start, ast.BinOp(left=stop, op=ast.Add(), right=const(1)), step))
        return unparse(call("forcols", self.ex.expr(values)))

    def s_switch_statement(self, node: Any, indent: int) -> list[str]:
        cond = node.child_by_field_name("condition")
        pad = INDENT * indent
        try:
            subject = self.ex.expr(cond)
        except Untranslatable as why:
            return self.untranslated(node, indent, str(why), counted=True)
        self.scope.switch_count += 1
        var = f"_switch{self.scope.switch_count}"
        out = self.header(node, indent, assign(store_name(var), subject))
        first = True
        for clause in node.named_children:
            if clause.type == "case_clause":
                c = clause.child_by_field_name("condition")
                try:
                    test = call("switchcase", name(var), self.ex.expr(c))  # MATLAB's matching rules
                    out += self.header(clause, indent, f"{'if' if first else 'elif'} {unparse(test)}:")
                except Untranslatable as why:
                    out += self.untranslated(clause, indent, str(why))
                    continue
                first = False
                out += self._body(clause, indent + 1)
            elif clause.type == "otherwise_clause":
                if first:
                    out += [pad + "if True:"]
                    first = False
                else:
                    out += [pad + "else:"]
                out += self._body(clause, indent + 1)
        return out

    def s_try_statement(self, node: Any, indent: int) -> list[str]:
        pad = INDENT * indent
        out = self.header(node, indent, "try:")
        out += self._body(node, indent + 1)
        catch = next((c for c in node.named_children if c.type == "catch_clause"), None)
        if catch is None:
            return [*out, pad + "except Exception:", pad + INDENT + "pass"]
        ident = next((c for c in catch.named_children if c.type == "identifier"), None)
        if ident is not None:
            var = python_name(self.text(ident))
            self.define(self.text(ident))
            out += [pad + "except Exception as _err:", pad + INDENT + f"{var} = mexception(_err)"]
        else:
            out += [pad + "except Exception:"]
        return out + self._body(catch, indent + 1)
