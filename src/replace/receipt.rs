//! The counter's receipt (one page of plain text) and the JSON document for the counter's
//! system. Neither holds the citizen number in full, nor a PIN.

use super::Summary;

/// The receipt: holder name, new card number, date, station (one page, plain text).
pub fn text(s: &Summary) -> String {
    let rule = "=".repeat(48);
    let mut out = String::new();
    out.push_str(&format!("{rule}\n"));
    out.push_str("  社会保障卡补换卡回执  Card replacement receipt\n");
    out.push_str(&format!("{rule}\n"));
    let rows = [
        ("持卡人 Holder", s.holder_name.clone()),
        ("社会保障号码 Citizen no.", s.holder_ssn_masked.clone()),
        ("新卡卡号 New card number", s.new_card_number.clone()),
        ("补换原因 Reason", s.reason.clone()),
        (
            "申请人 Applicant",
            if s.applicant == "agent" {
                format!("agent {}", s.agent_ssn_masked)
            } else {
                "holder in person".to_string()
            },
        ),
        ("原卡 Old card", old_card_words(s)),
        ("日期 Date", s.date.clone()),
        ("网点 Station", s.station.clone()),
        ("经办人 Operator", s.operator.clone()),
    ];
    for (label, value) in rows {
        out.push_str(&format!("{}{value}\n", crate::columns::pad(label, 30)));
    }
    out.push_str(&format!("{rule}\n"));
    out.push_str("The new card is enabled. The old card is no longer to be used.\n");
    out.push_str("新卡已启用，原卡停止使用。\n");
    out
}

fn old_card_words(s: &Summary) -> String {
    match s.old_card_outcome.as_str() {
        "lost" => "reported lost".to_string(),
        "disabled" => "disabled".to_string(),
        other => other.to_string(),
    }
}

/// The JSON document of `sscard replace --json`.
pub fn to_json(s: &Summary) -> serde_json::Value {
    serde_json::json!({
        "result": "replaced",
        "holder": {"name": s.holder_name, "ssn_masked": s.holder_ssn_masked, "data_from": s.holder_data_from},
        "reason": s.reason,
        "applicant": {"kind": s.applicant, "agent_ssn_masked": s.agent_ssn_masked},
        "old_card": {"card_id": s.old_card_id, "verdict": s.old_card_verdict, "outcome": s.old_card_outcome},
        "new_card": {"card_id": s.new_card_id, "card_number": s.new_card_number, "result": s.new_card_result, "photo": s.photo},
        "journal": {"url": s.journal, "row": s.journal_row, "recorded_before": s.journal_already},
        "station": s.station,
        "operator": s.operator,
        "date": s.date,
    })
}
