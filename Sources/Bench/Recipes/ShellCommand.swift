// The `python main.py …` command of an official `sh/*.sh` script, as the shell would run it: variable assignments
// (`x=1`, `x="a"`, `xs=("a")`), `for v in "${xs[@]}"` loops over one-element arrays, `\` continuations, `$x` /
// `${x}` expansion and quoting. A loop over several values is a sweep, not one run: it is an error naming the loop
// and its values (pick one by passing the flag after the script).
import Foundation

public enum ShellCommand {
    /// The arguments after `python <script>.py` in `text` (the first python command). `file` names errors.
    /// `bindings` pick one value of a loop variable (`seed=2` for `for seed in 0 1 2 …`).
    public static func pythonArgs(_ text: String, file: String, bindings: [String: String] = [:]) throws -> [String] {
        let all = try pythonCommands(text, file: file, bindings: bindings, all: false)
        guard let first = all.first else { throw ImportError(file: file, problems: ["no `python … .py` command in the script"]) }
        return first.args
    }

    /// The one `python <script>.py` command of `text` a run means. A script holding one command per dataset (V-PETL
    /// Bench's `run_vit_*.sh`) is picked from by a binding that names no loop variable: `dataset=cifar100` picks the
    /// command with `--dataset cifar100`; several commands and no pick is an error listing the choices.
    /// Returns the command's arguments and its line.
    public static func selectedCommand(_ text: String, file: String, bindings: [String: String]) throws -> (line: Int, launcher: [String], args: [String]) {
        let loopVars = Set(text.components(separatedBy: "\n").compactMap { l -> String? in
            let t = l.trimmingCharacters(in: .whitespaces)
            guard t.hasPrefix("for ") else { return nil }
            return t.dropFirst(4).split(separator: " ").first.map(String.init)
        })
        let cmds = try pythonCommands(text, file: file, bindings: bindings.filter { loopVars.contains($0.key) }, all: true)
        guard !cmds.isEmpty else { throw ImportError(file: file, problems: ["no `python … .py` command in the script"]) }
        let picks = bindings.filter { !loopVars.contains($0.key) }
        var chosen = cmds
        for (k, v) in picks.sorted(by: { $0.key < $1.key }) {
            chosen = chosen.filter { c in
                zip(c.args, c.args.dropFirst()).contains { $0 == "--\(k)" && $1 == v } || c.args.contains("--\(k)=\(v)")
            }
            if chosen.isEmpty {
                let values = cmds.compactMap { c in c.args.firstIndex(of: "--\(k)").flatMap { $0 + 1 < c.args.count ? c.args[$0 + 1] : nil } }
                throw ImportError(file: file, problems: ["\(k)=\(v): no command of the script has --\(k) \(v)" + (values.isEmpty ? "" : " (its values: \(values.joined(separator: ", ")))")])
            }
        }
        guard chosen.count == 1 else {
            let firstFlag = cmds[0].args.first { $0.hasPrefix("--") }.map { String($0.dropFirst(2)) } ?? "flag"
            let values = cmds.compactMap { c in c.args.firstIndex(of: "--\(firstFlag)").flatMap { $0 + 1 < c.args.count ? c.args[$0 + 1] : nil } }
            throw ImportError(file: file, problems: ["the script runs \(chosen.count) python commands (lines \(chosen.map { String($0.line) }.joined(separator: ", "))); one recipe is one run — pick one with FLAG=VALUE after the script, e.g. \(firstFlag)=\(values.first ?? "…") (values: \(values.joined(separator: ", ")))"])
        }
        return chosen[0]
    }

    /// Every `python <script>.py` command of `text` (just the first unless `all`), with its line. A leading environment
    /// assignment (`CUDA_VISIBLE_DEVICES=0 python …`) only picks the GPU.
    /// `launcher`: the words between `python` and the script (`-m torch.distributed.launch --nproc_per_node=2 …`).
    static func pythonCommands(_ text: String, file: String, bindings: [String: String], all: Bool) throws -> [(line: Int, launcher: [String], args: [String])] {
        var found: [(line: Int, launcher: [String], args: [String])] = []
        var vars: [String: [String]] = [:]
        var lines: [(Int, String)] = []
        var pending = "", start = 0
        for (n, raw) in text.components(separatedBy: "\n").enumerated() {
            var l = raw
            if pending.isEmpty { start = n + 1 }
            if l.hasSuffix("\\") { l.removeLast(); pending += l + " "; continue }
            lines.append((start, pending + l)); pending = ""
        }
        if !pending.isEmpty { lines.append((start, pending)) }   // a last line ending in `\` (SSF's train_ssf.sh)
        for (n, line) in lines {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            var t = trimmed.hasPrefix("declare -a ") ? String(trimmed.dropFirst(11)).trimmingCharacters(in: .whitespaces) : trimmed
            if let env = t.range(of: #"^([A-Za-z_][A-Za-z0-9_]*=[^ \t]*[ \t]+)+python"#, options: .regularExpression) {
                t = "python" + t[env.upperBound...]
            }
            if let m = t.range(of: #"^[A-Za-z_][A-Za-z0-9_]*="#, options: .regularExpression) {
                let name = String(t[m].dropLast()), rhs = String(t[m.upperBound...])
                if rhs.hasPrefix("(") && rhs.hasSuffix(")") {
                    vars[name] = try words(String(rhs.dropFirst().dropLast()), vars: vars, at: "\(file):\(n)")
                } else {
                    vars[name] = [try words(rhs, vars: vars, at: "\(file):\(n)").joined(separator: " ")]
                }
            } else if t.hasPrefix("for ") {
                let w = try words(String(t.dropFirst(4)), vars: vars, at: "\(file):\(n)", keepArrays: true)
                guard w.count >= 3, w[1] == "in" else { throw ImportError(file: file, problems: ["line \(n): unsupported for loop '\(t)'"]) }
                var values = Array(w[2...])
                if values.last == ";" || values.last == "; do" { values.removeLast() }
                values = values.filter { $0 != "do" && $0 != ";" }.map { $0.hasSuffix(";") ? String($0.dropLast()) : $0 }
                if let b = bindings[w[0]] {
                    guard values.contains(b) else {
                        throw ImportError(file: file, problems: ["line \(n): \(w[0])=\(b) is not among the loop's values \(values.joined(separator: ", "))"])
                    }
                    values = [b]
                }
                guard values.count == 1 else {
                    throw ImportError(file: file, problems: ["line \(n): the script sweeps \(w[0]) over \(values.joined(separator: ", ")); one recipe is one run — pick one with \(w[0])=VALUE after the script (or pass the flag you want)"])
                }
                vars[w[0]] = values
            } else if t.hasPrefix("python") {
                let w = try words(t, vars: vars, at: "\(file):\(n)")
                guard let i = w.firstIndex(where: { $0.hasSuffix(".py") }) else { throw ImportError(file: file, problems: ["line \(n): python command without a script"]) }
                found.append((n, Array(w[1..<i]), Array(w[(i + 1)...])))
                if !all { return found }
            }
        }
        return found
    }

    /// Shell words of `s` with quotes removed and variables expanded (`"${xs[@]}"` → the array's elements).
    static func words(_ s: String, vars: [String: [String]], at: String, keepArrays: Bool = false) throws -> [String] {
        var out: [String] = [], cur = "", inWord = false
        var quote: Character? = nil
        let c = Array(s)
        var i = 0
        func expand() throws {
            // at c[i] == "$"
            i += 1
            var name = ""
            if i < c.count, c[i] == "{" {
                // The matching brace (`${xs[${i}]}` nests).
                var depth = 0, close: Int? = nil
                for j in i..<c.count {
                    if c[j] == "{" { depth += 1 } else if c[j] == "}" { depth -= 1; if depth == 0 { close = j; break } }
                }
                guard let close else { throw ImportError(file: at, problems: ["unclosed ${ in '\(s)'"]) }
                name = String(c[(i + 1)..<close]); i = close + 1
            } else {
                while i < c.count, c[i].isLetter || c[i].isNumber || c[i] == "_" { name.append(c[i]); i += 1 }
            }
            if let open = name.firstIndex(of: "["), name.hasSuffix("]"), !name.hasSuffix("[@]") {
                var idx = String(name[name.index(after: open)..<name.index(before: name.endIndex)])
                for (k, v) in vars { idx = idx.replacingOccurrences(of: "${\(k)}", with: v.joined(separator: " ")).replacingOccurrences(of: "$\(k)", with: v.joined(separator: " ")) }
                let arr = vars[String(name[..<open])] ?? []
                guard let i = Int(idx), i >= 0, i < arr.count else {
                    throw ImportError(file: at, problems: ["'${\(name)}': index \(idx) outside the array (\(arr.count) values)"])
                }
                cur += arr[i]; inWord = true; return
            }
            if name.hasSuffix("[@]") {
                let v = vars[String(name.dropLast(3))] ?? []
                if keepArrays && quote == "\"" && cur.isEmpty { out.append(contentsOf: v.dropLast()); cur = v.last ?? ""; inWord = true; return }
                cur += v.joined(separator: " ")
            } else {
                // An unset variable expands to nothing, as in bash (InsVP sh/gtsrb.sh passes `--data_dir=$data_dir` unset).
                cur += (vars[name] ?? []).joined(separator: " ")
            }
            inWord = true
        }
        while i < c.count {
            let ch = c[i]
            if let q = quote {
                if ch == q { quote = nil; i += 1; continue }
                if q == "\"" && ch == "$" { try expand(); continue }
                if q == "\"" && ch == "\\" && i + 1 < c.count { cur.append(c[i + 1]); i += 2; continue }
                cur.append(ch); i += 1; continue
            }
            if ch == "\"" || ch == "'" { quote = ch; inWord = true; i += 1; continue }
            if ch == "$" { try expand(); continue }
            if ch == " " || ch == "\t" {
                if inWord { out.append(cur); cur = ""; inWord = false }
                i += 1; continue
            }
            if ch == "#" && !inWord { break }
            cur.append(ch); inWord = true; i += 1
        }
        if quote != nil { throw ImportError(file: at, problems: ["unclosed quote in '\(s)'"]) }
        if inWord { out.append(cur) }
        return out
    }
}
