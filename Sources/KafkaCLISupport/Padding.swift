/// Java's `%-Ns`: `text` followed by spaces up to `width` characters (unchanged when it is as long or longer).
package func pad(_ text: String, _ width: Int) -> String {
    pad(text, width, with: " ", leading: false)
}

/// Java's `%0Nd` for a non-negative `value`: its digits preceded by zeros up to `width` characters.
package func pad(_ value: Int, zeros width: Int) -> String {
    pad(String(value), width, with: "0", leading: true)
}

/// `text` filled with `fill` up to `width` characters, before it (`leading`) or after it.
private func pad(_ text: String, _ width: Int, with fill: Character, leading: Bool) -> String {
    guard text.count < width else { return text }
    let filling = String(repeating: fill, count: width - text.count)
    return leading ? filling + text : text + filling
}
