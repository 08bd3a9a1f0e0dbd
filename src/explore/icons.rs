//! The status icons of the landing page and of the Explorer's page, as
//! inline SVG.
//!
//! Stateright's page writes its icons as emoji (⚠️ ✅ 🔎 ⬆️ ⬇️), which need
//! a colour-emoji font; on a machine without one (a CI runner, a minimal
//! desktop) they render as empty boxes. Drawn shapes need no font. The
//! Explorer's page gets the same set from `/icons.js` ([`script`]), so both
//! pages draw each icon one way.

/// One icon: its name (also its tooltip and accessible label), colour and shape.
struct Icon {
    name: &'static str,
    color: &'static str,
    shape: &'static str,
}

const ICONS: [Icon; 7] = [
    // A tick in a disc.
    Icon {
        name: "holds",
        color: "#3fb950",
        shape: "<circle cx='8' cy='8' r='7'/><path d='M4.5 8.2l2.3 2.3 4.7-4.9' fill='none' stroke='#fff' stroke-width='1.8'/>",
    },
    // An exclamation mark in a triangle.
    Icon {
        name: "violated",
        color: "#f0b429",
        shape: "<path d='M8 1l7 13H1z'/><path d='M8 5.5v4.2M8 11.4v1.3' stroke='#142b46' stroke-width='1.7'/>",
    },
    // A magnifying glass.
    Icon {
        name: "searching",
        color: "#bbbbbb",
        shape: "<circle cx='6.5' cy='6.5' r='4.3' fill='none' stroke='#bbbbbb' stroke-width='1.8'/><path d='M9.7 9.7l4.6 4.6' stroke='#bbbbbb' stroke-width='2'/>",
    },
    // A question mark in a disc.
    Icon {
        name: "unknown",
        color: "#bbbbbb",
        shape: "<circle cx='8' cy='8' r='7'/><path d='M5.8 6.2a2.2 2.2 0 1 1 3 2c-.6.3-.8.7-.8 1.4M8 11.3v1.3' fill='none' stroke='#142b46' stroke-width='1.6'/>",
    },
    // A cross in a disc.
    Icon {
        name: "unmet",
        color: "#f85149",
        shape: "<circle cx='8' cy='8' r='7'/><path d='M5.2 5.2l5.6 5.6M10.8 5.2l-5.6 5.6' stroke='#fff' stroke-width='1.8'/>",
    },
    // Arrows: a state after the counterexample's last, or before it.
    Icon { name: "after", color: "#bbbbbb", shape: "<path d='M8 2l5 6h-3v6H6V8H3z'/>" },
    Icon { name: "before", color: "#bbbbbb", shape: "<path d='M8 14l5-6h-3V2H6v6H3z'/>" },
];

/// The icon called `name` as an inline `<svg>` element; empty for an unknown name.
pub fn svg(name: &str) -> String {
    ICONS
        .iter()
        .find(|i| i.name == name)
        .map(|i| {
            format!(
                "<svg class='icon' role='img' aria-label='{0}' width='14' height='14' viewBox='0 0 16 16' \
                 fill='{1}' xmlns='http://www.w3.org/2000/svg'><title>{0}</title>{2}</svg>",
                i.name, i.color, i.shape
            )
        })
        .unwrap_or_default()
}

/// `/icons.js`: `const ICONS = {"holds": "<svg …>", …};` for the Explorer's page.
pub fn script() -> String {
    let map: serde_json::Map<String, serde_json::Value> =
        ICONS.iter().map(|i| (i.name.to_string(), svg(i.name).into())).collect();
    format!("const ICONS = {};\n", serde_json::Value::Object(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_icon_is_an_svg_element_with_its_name_and_no_text_glyph() {
        for icon in &ICONS {
            let svg = svg(icon.name);
            assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>"), "{svg}");
            assert!(svg.contains(&format!("aria-label='{}'", icon.name)), "{svg}");
            assert!(svg.is_ascii(), "drawn, not a character of some font: {svg}");
        }
        assert_eq!(svg("no-such-icon"), "");
        let script = script();
        assert!(script.starts_with("const ICONS = {") && script.ends_with("};\n"), "{script}");
        for icon in &ICONS {
            assert!(script.contains(&format!("\"{}\":\"<svg ", icon.name)), "{script}");
        }
    }
}
