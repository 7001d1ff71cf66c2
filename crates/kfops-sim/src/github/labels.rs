//! The repository's labels: list, get, create, update and delete, and the state operations the
//! issue-label endpoints share (labels are matched case-insensitively, like on GitHub).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::http::{
    check_repo, created, json_body, json_response, no_content, paginate, ApiError, Req,
};
use super::render::Render;
use super::state::{GithubState, Label};
use super::GithubHandle;

const GET_DOC: &str = "https://docs.github.com/rest/issues/labels#get-a-label";
const CREATE_DOC: &str = "https://docs.github.com/rest/issues/labels#create-a-label";
const UPDATE_DOC: &str = "https://docs.github.com/rest/issues/labels#update-a-label";
const DELETE_DOC: &str = "https://docs.github.com/rest/issues/labels#delete-a-label";
/// The colour GitHub gives labels created without one (e.g. by adding them to an issue).
pub const DEFAULT_COLOR: &str = "ededed";
/// GitHub refuses longer label descriptions.
const MAX_DESCRIPTION: usize = 100;

impl GithubState {
    /// Defines a new repository label (the caller has checked that the name is free).
    pub fn create_label(&mut self, name: &str, color: &str, description: Option<&str>) -> Label {
        let label = Label {
            id: self.next_label_id,
            name: name.to_owned(),
            color: color.to_ascii_lowercase(),
            description: description.filter(|d| !d.is_empty()).map(str::to_owned),
            default: false,
        };
        self.next_label_id += 1;
        self.labels.push(label.clone());
        label
    }

    /// The repository's spelling of a label name, defining the label first when the repository
    /// lacks it (GitHub does this for labels added to an issue).
    pub fn label_or_create(&mut self, name: &str) -> String {
        match self.label(name) {
            Some(label) => label.name.clone(),
            None => self.create_label(name, DEFAULT_COLOR, None).name,
        }
    }

    /// Adds labels to a PR (existing ones stay once); `false` if there is no such PR.
    pub fn add_labels(&mut self, number: u64, names: &[String]) -> bool {
        if !self.pulls.contains_key(&number) {
            return false;
        }
        let names: Vec<String> = names.iter().map(|n| self.label_or_create(n)).collect();
        let Some(pull) = self.pulls.get_mut(&number) else {
            return false;
        };
        for name in names {
            if !pull.labels.iter().any(|l| l.eq_ignore_ascii_case(&name)) {
                pull.labels.push(name);
            }
        }
        pull.updated_at = super::state::now_secs();
        true
    }

    /// Replaces a PR's labels; `false` if there is no such PR.
    pub fn set_labels(&mut self, number: u64, names: &[String]) -> bool {
        match self.pulls.get_mut(&number) {
            Some(pull) => pull.labels.clear(),
            None => return false,
        }
        self.add_labels(number, names)
    }

    /// Takes a label off a PR: `None` without such a PR, `Some(false)` if it lacked the label.
    pub fn remove_label(&mut self, number: u64, name: &str) -> Option<bool> {
        let pull = self.pulls.get_mut(&number)?;
        let before = pull.labels.len();
        pull.labels.retain(|l| !l.eq_ignore_ascii_case(name));
        let removed = pull.labels.len() != before;
        if removed {
            pull.updated_at = super::state::now_secs();
        }
        Some(removed)
    }
}

/// `issues/list-labels-for-repo`.
pub async fn list(
    State(gh): State<GithubHandle>,
    Path((owner, repo)): Path<(String, String)>,
    req: Req,
) -> Result<Response, ApiError> {
    gh.read(|s| {
        check_repo(s, &owner, &repo)?;
        let render = Render::new(s, req.api());
        Ok(paginate(s.labels.iter().collect(), &req, 30).into_response(|l| render.label(l)))
    })
}

/// `issues/get-label`.
pub async fn get(
    State(gh): State<GithubHandle>,
    Path((owner, repo, name)): Path<(String, String, String)>,
    req: Req,
) -> Result<Response, ApiError> {
    gh.read(|s| {
        check_repo(s, &owner, &repo)?;
        let label = s.label(&name).ok_or_else(|| ApiError::not_found(GET_DOC))?;
        Ok(json_response(
            StatusCode::OK,
            &Render::new(s, req.api()).label(label),
        ))
    })
}

/// `issues/create-label`: 201 with the label and its `Location`; 422 `already_exists` when a
/// label of that name (in any case) is defined.
pub async fn create(
    State(gh): State<GithubHandle>,
    Path((owner, repo)): Path<(String, String)>,
    req: Req,
    body: Bytes,
) -> Result<Response, ApiError> {
    gh.update(|s| {
        check_repo(s, &owner, &repo)?;
        let fields = Fields::parse(&json_body(&body, CREATE_DOC)?, "name", CREATE_DOC)?;
        let name = fields
            .name
            .ok_or_else(|| ApiError::invalid_request("\"name\" wasn't supplied.", CREATE_DOC))?;
        if s.label(&name).is_some() {
            return Err(ApiError::invalid_field(
                "Label",
                "name",
                "already_exists",
                CREATE_DOC,
            ));
        }
        let color = fields.color.unwrap_or_else(|| DEFAULT_COLOR.to_owned());
        let label = s.create_label(&name, &color, fields.description.as_deref());
        Ok(created(&Render::new(s, req.api()).label(&label)))
    })
}

/// `issues/update-label`: `new_name`, `color`, `description`. A rename follows onto every PR
/// that carries the label.
pub async fn update(
    State(gh): State<GithubHandle>,
    Path((owner, repo, name)): Path<(String, String, String)>,
    req: Req,
    body: Bytes,
) -> Result<Response, ApiError> {
    gh.update(|s| {
        check_repo(s, &owner, &repo)?;
        let fields = Fields::parse(&json_body(&body, UPDATE_DOC)?, "new_name", UPDATE_DOC)?;
        let index = s
            .labels
            .iter()
            .position(|l| l.name.eq_ignore_ascii_case(&name))
            .ok_or_else(|| ApiError::not_found(UPDATE_DOC))?;
        let old_name = s.labels[index].name.clone();
        if let Some(new_name) = &fields.name {
            let taken = s
                .labels
                .iter()
                .enumerate()
                .any(|(i, l)| i != index && l.name.eq_ignore_ascii_case(new_name));
            if taken {
                return Err(ApiError::invalid_field(
                    "Label",
                    "name",
                    "already_exists",
                    UPDATE_DOC,
                ));
            }
            for pull in s.pulls.values_mut() {
                for label in pull.labels.iter_mut() {
                    if label.eq_ignore_ascii_case(&old_name) {
                        label.clone_from(new_name);
                    }
                }
            }
        }
        let label = &mut s.labels[index];
        if let Some(new_name) = fields.name {
            label.name = new_name;
        }
        if let Some(color) = fields.color {
            label.color = color.to_ascii_lowercase();
        }
        if let Some(description) = fields.description {
            label.description = (!description.is_empty()).then_some(description);
        }
        let label = label.clone();
        Ok(json_response(
            StatusCode::OK,
            &Render::new(s, req.api()).label(&label),
        ))
    })
}

/// `issues/delete-label`: 204; the label goes from every PR too.
pub async fn delete(
    State(gh): State<GithubHandle>,
    Path((owner, repo, name)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    gh.update(|s| {
        check_repo(s, &owner, &repo)?;
        let label = s
            .label(&name)
            .map(|l| l.name.clone())
            .ok_or_else(|| ApiError::not_found(DELETE_DOC))?;
        s.labels.retain(|l| l.name != label);
        for pull in s.pulls.values_mut() {
            pull.labels.retain(|l| !l.eq_ignore_ascii_case(&label));
        }
        Ok(no_content())
    })
}

/// The fields of a create or update body, checked as GitHub does.
struct Fields {
    name: Option<String>,
    color: Option<String>,
    description: Option<String>,
}

impl Fields {
    /// Reads `name_key` (`name` or `new_name`), `color` and `description`.
    fn parse(body: &Value, name_key: &str, doc: &str) -> Result<Fields, ApiError> {
        let Some(object) = body.as_object() else {
            return Err(ApiError::invalid_request(
                &format!("For 'properties/{name_key}', the request body is not an object."),
                doc,
            ));
        };
        let text = |key: &str| -> Result<Option<String>, ApiError> {
            match object.get(key) {
                None => Ok(None),
                Some(Value::String(text)) => Ok(Some(text.clone())),
                Some(other) => Err(ApiError::invalid_request(
                    &format!("For 'properties/{key}', {other} is not a string."),
                    doc,
                )),
            }
        };
        let name = text(name_key)?;
        if name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(ApiError::invalid_field(
                "Label",
                "name",
                "missing_field",
                doc,
            ));
        }
        let color = text("color")?;
        if let Some(color) = &color {
            if color.len() != 6 || !color.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ApiError::invalid_field("Label", "color", "invalid", doc));
            }
        }
        let description = text("description")?;
        if description
            .as_deref()
            .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION)
        {
            return Err(ApiError::invalid_field(
                "Label",
                "description",
                "invalid",
                doc,
            ));
        }
        Ok(Fields {
            name: name.map(|n| n.trim().to_owned()),
            color,
            description,
        })
    }
}
