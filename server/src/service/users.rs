//! Users, visitors, consultants and sessions.

use chatix_protocol::limits::{MAX_NAME_CHARS, MAX_USERS_PER_FETCH};
use chatix_protocol::rest::{
    ConsultantLoginRequest, CreateConsultantRequest, CreateUserRequest, MintTokenRequest,
    SessionResponse, UpdateUserRequest, VisitorSessionRequest,
};
use chatix_protocol::{metadata, ErrorCode, Metadata, Role, ServerFrame, User};

use super::views;
use crate::auth::passwords::{hash_password, hash_secret, same_digest, verify_password};
use crate::auth::{resolve, Actor, Session};
use crate::error::{AppError, AppResult};
use crate::hub::{frame, Event};
use crate::state::AppState;
use crate::store::{NewUser, UserPatch, UserRecord};
use crate::util::{check_text, check_url, check_username, now_ms, random_hex};

/// Lifetime of visitor session tokens, seconds.
pub const VISITOR_TOKEN_TTL_S: i64 = 24 * 3600;
/// Lifetime of consultant session tokens, seconds.
pub const CONSULTANT_TOKEN_TTL_S: i64 = 12 * 3600;

fn check_meta(m: Option<Metadata>) -> AppResult<Option<Metadata>> {
    if let Some(m) = &m {
        metadata::validate(m).map_err(AppError::invalid)?;
    }
    Ok(m)
}

fn check_email(e: Option<String>) -> AppResult<Option<String>> {
    match e {
        None => Ok(None),
        Some(e) if e.trim().is_empty() => Ok(Some(String::new())),
        Some(e) => {
            let e = check_text("email", &e, 3, 254)?;
            let ok = e
                .split_once('@')
                .is_some_and(|(a, b)| !a.is_empty() && b.contains('.'));
            if !ok || e.contains(char::is_whitespace) {
                return Err(AppError::invalid(format!(
                    "email {e:?} is not an e-mail address"
                )));
            }
            Ok(Some(e))
        }
    }
}

/// `POST /v1/auth/visitor`: resumes a visitor (id + secret) or creates one.
pub async fn visitor_session(
    state: &AppState,
    req: VisitorSessionRequest,
) -> AppResult<SessionResponse> {
    let site = state
        .website(req.website_id.trim())
        .await?
        .ok_or_else(|| AppError::not_found(format!("no website {:?}", req.website_id)))?;
    if let (Some(id), Some(secret)) = (&req.visitor_id, &req.visitor_secret) {
        if let Some(u) = state.store.user_by_username(&site.id, id).await? {
            let ok = u.user.role == Role::Visitor
                && u.visitor_secret_hash
                    .as_deref()
                    .is_some_and(|h| same_digest(h, &hash_secret(secret)));
            if ok {
                super::moderation::refuse_banned(state, &site.id, &u.user.id).await?;
                let (token, expires_at) = resolve::mint(&site, &u, VISITOR_TOKEN_TTL_S)?;
                return Ok(SessionResponse {
                    token,
                    expires_at,
                    user: views::user(state, &u),
                    visitor_secret: None,
                });
            }
        }
    }
    let visitor_id = format!("v_{}", random_hex(12));
    let secret = random_hex(32);
    let (u, _) = state
        .store
        .create_user(NewUser {
            website_id: site.id.clone(),
            name: format!("Visitor {}", &visitor_id[2..6]),
            username: visitor_id,
            avatar: None,
            email: None,
            metadata: Metadata::new(),
            role: Role::Visitor,
            password_hash: None,
            visitor_secret_hash: Some(hash_secret(&secret)),
            can_admin: false,
        })
        .await?;
    let (token, expires_at) = resolve::mint(&site, &u, VISITOR_TOKEN_TTL_S)?;
    Ok(SessionResponse {
        token,
        expires_at,
        user: views::user(state, &u),
        visitor_secret: Some(secret),
    })
}

/// `POST /v1/auth/consultant`: password login.
pub async fn consultant_login(
    state: &AppState,
    req: ConsultantLoginRequest,
) -> AppResult<SessionResponse> {
    let wrong = || AppError::unauthorized("wrong username or password");
    let site = state
        .website(req.website_id.trim())
        .await?
        .ok_or_else(|| AppError::not_found(format!("no website {:?}", req.website_id)))?;
    let u = state
        .store
        .user_by_username(&site.id, req.username.trim())
        .await?
        .filter(|u| u.user.role == Role::Consultant)
        .ok_or_else(wrong)?;
    let phc = u.password_hash.clone().ok_or_else(wrong)?;
    let password = req.password;
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &phc))
        .await
        .map_err(AppError::internal)?;
    if !ok {
        return Err(wrong());
    }
    let (token, expires_at) = resolve::mint(&site, &u, CONSULTANT_TOKEN_TTL_S)?;
    Ok(SessionResponse {
        token,
        expires_at,
        user: views::user(state, &u),
        visitor_secret: None,
    })
}

/// `POST /v1/auth/refresh`: a fresh token for a visitor or consultant session.
pub async fn refresh(state: &AppState, s: &Session) -> AppResult<SessionResponse> {
    let ttl = match s.role() {
        Role::Visitor => VISITOR_TOKEN_TTL_S,
        Role::Consultant => CONSULTANT_TOKEN_TTL_S,
        Role::User => {
            return Err(AppError::forbidden(
                "app users get new tokens from the app's backend, not from refresh",
            ))
        }
    };
    let (token, expires_at) = resolve::mint(&s.website, &s.user, ttl)?;
    Ok(SessionResponse {
        token,
        expires_at,
        user: views::user(state, &s.user),
        visitor_secret: None,
    })
}

/// `POST /v1/admin/tokens`: mints a user token the way an app backend would.
pub async fn mint_token(
    state: &AppState,
    actor: &Actor,
    req: MintTokenRequest,
) -> AppResult<SessionResponse> {
    let username = check_username("username", &req.username)?;
    let site = actor.website();
    let u = match state.store.user_by_username(&site.id, &username).await? {
        Some(u) => u,
        None => {
            let name = match req.name {
                Some(n) => check_text("name", &n, 1, MAX_NAME_CHARS)?,
                None => username.clone(),
            };
            state
                .store
                .create_user(new_user(&site.id, username, name, Role::User))
                .await?
                .0
        }
    };
    let ttl = req.ttl_seconds.unwrap_or(3600).min(86_400) as i64;
    let (token, expires_at) = resolve::mint(site, &u, ttl)?;
    Ok(SessionResponse {
        token,
        expires_at,
        user: views::user(state, &u),
        visitor_secret: None,
    })
}

fn new_user(website: &str, username: String, name: String, role: Role) -> NewUser {
    NewUser {
        website_id: website.to_owned(),
        username,
        name,
        avatar: None,
        email: None,
        metadata: Metadata::new(),
        role,
        password_hash: None,
        visitor_secret_hash: None,
        can_admin: false,
    }
}

/// `POST /v1/admin/consultants`.
pub async fn create_consultant(
    state: &AppState,
    actor: &Actor,
    req: CreateConsultantRequest,
) -> AppResult<User> {
    let username = check_username("username", &req.username)?;
    let name = check_text("name", &req.name, 1, MAX_NAME_CHARS)?;
    if req.password.chars().count() < 8 {
        return Err(AppError::invalid("password must be at least 8 characters"));
    }
    let email = check_email(req.email)?.filter(|e| !e.is_empty());
    let password = req.password;
    let phc = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(AppError::internal)??;
    let mut new = new_user(
        &actor.website().id,
        username.clone(),
        name,
        Role::Consultant,
    );
    new.email = email;
    new.password_hash = Some(phc);
    new.can_admin = req.admin;
    let (u, created) = state.store.create_user(new).await?;
    if !created {
        return Err(AppError::conflict(format!(
            "username {username:?} is taken"
        )));
    }
    Ok(views::user(state, &u))
}

/// `createUser`: idempotent by username (an existing user is returned unchanged).
pub async fn create(
    state: &AppState,
    actor: &Actor,
    req: CreateUserRequest,
) -> AppResult<(User, bool)> {
    if actor.role() == Some(Role::Visitor) {
        return Err(AppError::forbidden("visitors cannot create users"));
    }
    let username = check_username("username", &req.username)?;
    let name = check_text("name", &req.name, 1, MAX_NAME_CHARS)?;
    let avatar = req
        .avatar
        .map(|a| check_url("avatar", &a))
        .transpose()?
        .filter(|a| !a.is_empty());
    let email = check_email(req.email)?.filter(|e| !e.is_empty());
    let metadata = check_meta(req.metadata)?.unwrap_or_default();
    let mut new = new_user(&actor.website().id, username, name, Role::User);
    new.avatar = avatar;
    new.email = email;
    new.metadata = metadata;
    let (u, created) = state.store.create_user(new).await?;
    Ok((views::user(state, &u), created))
}

/// Finds a user by username or id.
pub async fn find(
    state: &AppState,
    actor: &Actor,
    by_id: bool,
    key: &str,
) -> AppResult<UserRecord> {
    let site = &actor.website().id;
    let found = if by_id {
        state.store.user(site, key).await?
    } else {
        state.store.user_by_username(site, key).await?
    };
    found.ok_or_else(|| {
        AppError::not_found(if by_id {
            format!("no user with id {key:?}")
        } else {
            format!("no user named {key:?}")
        })
    })
}

/// `getUsers(usernames)`.
pub async fn many(state: &AppState, actor: &Actor, usernames: Vec<String>) -> AppResult<Vec<User>> {
    if usernames.len() > MAX_USERS_PER_FETCH {
        return Err(AppError::invalid(format!(
            "at most {MAX_USERS_PER_FETCH} usernames per call"
        )));
    }
    let names = usernames
        .iter()
        .map(|u| check_username("usernames[]", u))
        .collect::<AppResult<Vec<_>>>()?;
    let found = state
        .store
        .users_by_usernames(&actor.website().id, &names)
        .await?;
    Ok(found.iter().map(|u| views::user(state, u)).collect())
}

/// `updateUser` / `setVisitor`: the user themself or the admin key. Metadata is merged.
pub async fn update(
    state: &AppState,
    actor: &Actor,
    target: &UserRecord,
    req: UpdateUserRequest,
) -> AppResult<User> {
    if !actor.is_admin() && actor.user_id() != Some(target.user.id.as_str()) {
        return Err(AppError::forbidden(
            "only the user themself (or the secret key) may change a user",
        ));
    }
    let name = req
        .name
        .map(|n| check_text("name", &n, 1, MAX_NAME_CHARS))
        .transpose()?;
    let avatar = req.avatar.map(|a| check_url("avatar", &a)).transpose()?;
    let email = check_email(req.email)?;
    let metadata = match check_meta(req.metadata)? {
        Some(patch) => {
            let mut m = target.user.metadata.clone();
            m.extend(patch);
            metadata::validate(&m).map_err(AppError::invalid)?;
            Some(m)
        }
        None => None,
    };
    let patch = UserPatch {
        name,
        avatar,
        email,
        metadata,
    };
    let u = state
        .store
        .update_user(&target.website_id, &target.user.id, patch, now_ms())
        .await?
        .ok_or_else(|| AppError::not_found("the user was deleted"))?;
    let view = views::user(state, &u);
    state.hub.publish(Event::Staff {
        website_id: u.website_id.clone(),
        frame: frame(&ServerFrame::UserUpdated { user: view.clone() }),
    });
    Ok(view)
}

/// `deleteUser`: the secret key only. Their sockets are closed and their tokens refused.
pub async fn delete(state: &AppState, actor: &Actor, target: &UserRecord) -> AppResult<()> {
    if !actor.is_admin() {
        return Err(AppError::new(
            ErrorCode::Forbidden,
            "deleting users needs the website's secret key",
        ));
    }
    state
        .store
        .delete_user(&target.website_id, &target.user.id, now_ms())
        .await?;
    state.hub.publish(Event::Access {
        chat_id: None,
        user_ids: vec![target.user.id.clone()],
    });
    state.hub.publish(Event::Kick {
        website_id: target.website_id.clone(),
        user_id: target.user.id.clone(),
    });
    Ok(())
}

/// `getAllManagers` / `getConnectedManagers`.
pub async fn consultants(
    state: &AppState,
    actor: &Actor,
    online_only: bool,
) -> AppResult<Vec<User>> {
    let all = state
        .store
        .users_by_role(&actor.website().id, Role::Consultant)
        .await?;
    Ok(all
        .iter()
        .map(|u| views::user(state, u))
        .filter(|u| !online_only || u.presence == chatix_protocol::Presence::Online)
        .collect())
}

/// Staff: the users connected now (visitors, app users, consultants).
pub async fn online(state: &AppState, actor: &Actor) -> AppResult<Vec<User>> {
    if !actor.is_staff() {
        return Err(AppError::forbidden("only consultants see who is online"));
    }
    let site = &actor.website().id;
    let ids = state.hub.online_users(site);
    let mut users: Vec<User> = state
        .store
        .users_by_ids(site, &ids)
        .await?
        .iter()
        .map(|u| views::user(state, u))
        .collect();
    users.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(users)
}
