/** A labelled choice among the pool's plan categories, named in the page's language. */
import { PLAN_CATEGORIES, type PlanCategoryName } from "../../../service/sdk/plan-terms.ts";
import { useT } from "../i18n.ts";

export function CategoryField(props: {
  label: string;
  class?: string;
  name?: string;
  value: PlanCategoryName;
  onChange(value: PlanCategoryName): void;
}) {
  const t = useT();
  return (
    <label class={props.class}>
      {props.label}
      <select
        name={props.name}
        value={props.value}
        onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value as PlanCategoryName)}
      >
        {PLAN_CATEGORIES.map((c) => (
          <option key={c} value={c}>
            {t(`category_${c}`)}
          </option>
        ))}
      </select>
    </label>
  );
}
