// Atlas project file, for people who have the atlas CLI. The shop itself
// never needs it: `shop migrate up` applies the same embedded directories,
// and `make migrate-diff name=...` writes new migrations from the Ent schema.

variable "pg_dev_url" {
  type    = string
  default = "postgres://postgres@127.0.0.1:5432/shop_atlas_dev?sslmode=disable"
}

env "postgres" {
  src = "ent://schema"
  dev = var.pg_dev_url
  migration {
    dir = "file://migrations/postgres"
    revisions_schema = "public"
  }
  format {
    migrate {
      diff = "{{ sql . \"  \" }}"
    }
  }
}

env "sqlite" {
  src = "ent://schema"
  dev = "sqlite://dev?mode=memory&_fk=1"
  migration {
    dir = "file://migrations/sqlite"
  }
}
